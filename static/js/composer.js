// The composer: grows with its text, Enter sends and Shift+Enter breaks the line, the draft
// survives reloads (per chat, in this browser), a stop button replaces send while a reply
// streams, and sending is disabled with the reason when the model or budget forbids it.
// Files picked, dropped or pasted go with the message (./attachments.js), with a progress bar.
import { acceptDropsAndPastes, PendingFiles } from "./attachments.js";
import { upload } from "./http.js";

const TYPING_EVERY_MS = 2000;

export class Composer {
  constructor(form, { chatId, onSent, onStop, onTyping, dropZone = document.getElementById("chat") }) {
    this.form = form;
    this.input = form.querySelector("textarea");
    this.send = form.querySelector("#send");
    this.stop = form.querySelector("#stop");
    this.error = document.getElementById("composer-error");
    this.draftKey = `confab:draft:${chatId}`;
    this.onSent = onSent;
    this.onTyping = onTyping;
    this.lastTyping = 0;
    this.blocked = form.dataset.blocked || "";
    this.progress = form.querySelector("#upload-progress");
    const picker = form.querySelector("#attach-input");
    this.pending = new PendingFiles({
      list: form.querySelector("#pending-files"),
      input: picker,
      maxFiles: Number(picker.dataset.maxFiles),
      maxBytes: Number(picker.dataset.maxBytes),
      onChange: (count) => { this.input.required = count === 0; },
      onError: (message) => { this.error.textContent = message; },
    });
    acceptDropsAndPastes(dropZone, this.input, this.pending);
    this.imageToggle = form.querySelector("#image-toggle");
    this.mode = form.querySelector("#compose-mode");
    this.placeholder = this.input.placeholder;
    this.imageToggle?.addEventListener("click", () => this.setImageMode(this.mode.value !== "image"));
    this.input.value ||= this.loadDraft(); // what was typed before this script ran is kept
    this.grow();
    form.addEventListener("submit", (event) => this.submit(event));
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        if (!this.send.disabled && !this.send.hidden) form.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => {
      this.grow();
      this.saveDraft();
      const now = Date.now();
      if (this.input.value && now - this.lastTyping > TYPING_EVERY_MS) {
        this.lastTyping = now;
        this.onTyping();
      }
    });
    this.stop.addEventListener("click", async () => {
      this.stop.disabled = true;
      await onStop();
      this.stop.disabled = false;
    });
  }

  // The picture toggle: the next message is drawn by the image model.
  setImageMode(on) {
    if (!this.mode) return;
    this.mode.value = on ? "image" : "chat";
    this.imageToggle.setAttribute("aria-pressed", String(on));
    this.input.placeholder = on ? "Describe the picture…" : this.placeholder;
    this.input.focus();
  }

  loadDraft() {
    try { return localStorage.getItem(this.draftKey) || ""; } catch { return ""; }
  }

  saveDraft() {
    try {
      if (this.input.value) localStorage.setItem(this.draftKey, this.input.value);
      else localStorage.removeItem(this.draftKey);
    } catch { /* storage full or private mode: the draft lives in the page only */ }
  }

  grow() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, window.innerHeight * 0.4)}px`;
  }

  // A reply is streaming: offer stop instead of send.
  setStreaming(streaming) {
    this.stop.hidden = !streaming;
    this.send.hidden = streaming;
  }

  setBlocked(reason) {
    this.blocked = reason || "";
    this.send.disabled = Boolean(this.blocked);
    this.error.textContent = this.blocked;
  }

  async submit(event) {
    event.preventDefault();
    if (this.blocked) {
      this.error.textContent = this.blocked;
      return;
    }
    const content = this.input.value;
    if (!content.trim() && !this.pending.count) {
      this.error.textContent = "Write a message first.";
      return;
    }
    this.error.textContent = "";
    const body = new FormData(this.form);
    body.delete("files");
    this.pending.appendTo(body);
    const withFiles = this.pending.count > 0;
    this.input.value = "";
    this.grow();
    this.send.disabled = true;
    this.progress.value = 0;
    this.progress.hidden = !withFiles;
    let response;
    try {
      response = await upload(this.form.action, body, (done) => { this.progress.value = Math.round(done * 100); });
    } catch {
      this.restore(content, "Could not reach Confab. Your message is still here; try again.");
      return;
    } finally {
      this.progress.hidden = true;
      this.send.disabled = Boolean(this.blocked);
    }
    if (response.status !== 202) { // accepted: the message is stored and its reply queued
      const answer = response.body;
      this.restore(content, answer.error ? answer.error.message
        : response.status === 413 ? "Those files are too large to send." : `Sending failed (${response.status}).`);
      return;
    }
    this.pending.clear();
    this.setImageMode(false);
    this.saveDraft();
    this.onSent(response.body);
  }

  restore(content, message) {
    if (!this.input.value) this.input.value = content;
    this.grow();
    this.saveDraft();
    this.error.textContent = message;
  }
}
