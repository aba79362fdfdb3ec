// The composer: grows with its text, Enter sends and Shift+Enter breaks the line, the draft
// survives reloads (per chat, in this browser), a stop button replaces send while a reply
// streams, and sending is disabled with the reason when the model or budget forbids it.
import { post } from "./live.js";

const TYPING_EVERY_MS = 2000;

export class Composer {
  constructor(form, { chatId, onSent, onStop, onTyping }) {
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
    this.input.value = this.loadDraft();
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
    if (!content.trim()) {
      this.error.textContent = "Write a message first.";
      return;
    }
    this.error.textContent = "";
    const body = new FormData(this.form);
    this.input.value = "";
    this.grow();
    let response;
    try {
      response = await post(this.form.action, body);
    } catch {
      this.restore(content, "Could not reach Confab. Your message is still here; try again.");
      return;
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status !== 202) {
      this.restore(content, answer.error ? answer.error.message : `Sending failed (${response.status}).`);
      return;
    }
    this.saveDraft();
    this.onSent(answer);
  }

  restore(content, message) {
    if (!this.input.value) this.input.value = content;
    this.grow();
    this.saveDraft();
    this.error.textContent = message;
  }
}
