// The message list: the shown path of the chat's tree. Relays deltas in seq order (rendering
// the Markdown as it streams), swaps in the server's sanitised HTML on completion, catches up
// after reloads and reconnects (join snapshot + fetch of what was missed), and reloads the
// path when anyone regenerates, edits or switches versions (`chat.path`).
import { applyFinal, buildMessage, isUnfinished, setReasoning, setVersions, setToolCalls } from "./message-view.js";
import { copyText, enhance, renderMarkdown } from "./markdown.js";
import { getJson, post } from "./http.js";
import { Versions } from "./versions.js";

const RENDER_EVERY_MS = 60;

export class MessageList {
  constructor(root, chatId, { myId, onChange, onError }) {
    this.scroller = root;
    this.list = root.querySelector("#message-list");
    this.chatId = chatId;
    this.myId = myId;
    this.onChange = onChange;
    this.onError = onError;
    this.versions = new Versions(this, document.getElementById("regenerate-dialog"));
    // id -> {el, seq, status, text, reasoning, timer}
    this.messages = new Map();
    for (const article of this.list.querySelectorAll("article.message")) {
      const entry = { el: article, seq: 0, status: article.dataset.status, text: null, reasoning: null, timer: null };
      this.messages.set(Number(article.dataset.messageId), entry);
      if (isUnfinished(entry.status)) {
        entry.text = article.querySelector(".content").textContent;
        this.render(entry);
      } else {
        enhance(article.querySelector(".content"));
      }
    }
    this.list.addEventListener("click", (event) => this.onClick(event));
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  }

  scrollDown(force) {
    if (force || this.nearBottom()) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // The newest reply still pending or streaming, if any (the composer's stop button).
  latestUnfinished() {
    let found = null;
    for (const [id, entry] of this.messages) {
      if (entry.el.dataset.role === "assistant" && isUnfinished(entry.status) && (found === null || id > found)) found = id;
    }
    return found;
  }

  upsert(m) {
    const stick = this.nearBottom();
    const known = this.messages.get(m.id);
    if (known) {
      if (!isUnfinished(m.status) && isUnfinished(known.status)) this.finish(m);
      return known;
    }
    document.getElementById("empty-chat")?.remove();
    const article = buildMessage(m, this.myId);
    const entry = { el: article, seq: 0, status: m.status, text: m.content || "", reasoning: m.reasoning || "", timer: null };
    this.messages.set(m.id, entry);
    if (isUnfinished(m.status)) this.render(entry);
    const later = [...this.messages.keys()].filter((id) => id > m.id).sort((a, b) => a - b)[0];
    if (later !== undefined) this.list.insertBefore(article, this.messages.get(later).el);
    else this.list.append(article);
    this.scrollDown(stick);
    this.onChange();
    return entry;
  }

  // A reply ended. Ignored when it is not on the shown path (someone switched away from it),
  // and for a copy of it still unfinished (a catch-up that raced its stream).
  finish(m) {
    const entry = this.messages.get(m.id);
    if (!entry || !isUnfinished(entry.status) || isUnfinished(m.status)) return entry;
    const stick = this.nearBottom();
    window.clearTimeout(entry.timer);
    entry.timer = null;
    entry.status = m.status;
    applyFinal(entry.el, m);
    this.scrollDown(stick);
    this.onChange();
    return entry;
  }

  // Render the streamed Markdown now and then rather than on every delta.
  scheduleRender(entry) {
    if (entry.timer !== null) return;
    entry.timer = window.setTimeout(() => {
      entry.timer = null;
      if (!isUnfinished(entry.status)) return;
      const stick = this.nearBottom();
      this.render(entry);
      this.scrollDown(stick);
    }, RENDER_EVERY_MS);
  }

  render(entry) {
    const content = entry.el.querySelector(".content");
    content.innerHTML = renderMarkdown(entry.text);
    enhance(content);
  }

  markStreaming(entry) {
    entry.status = "streaming";
    entry.el.dataset.status = "streaming";
    entry.el.classList.replace("status-pending", "status-streaming");
    entry.el.querySelector(".status").textContent = "streaming";
  }

  // Returns false when a delta is missing and the caller must rejoin for a fresh snapshot.
  applyDelta(data) {
    const entry = this.messages.get(data.message_id);
    if (!entry || !isUnfinished(entry.status) || data.seq <= entry.seq) return true;
    if (data.seq !== entry.seq + 1) return false;
    if (entry.status === "pending") this.markStreaming(entry);
    entry.seq = data.seq;
    if (data.channel === "reasoning") {
      entry.reasoning = (entry.reasoning || "") + data.text;
      setReasoning(entry.el, entry.reasoning);
    } else {
      entry.text = (entry.text || "") + data.text;
      this.scheduleRender(entry);
    }
    return true;
  }

  applySnapshot(unfinished) {
    for (const { message, seq } of unfinished) {
      const entry = this.upsert(message);
      if (!isUnfinished(entry.status) || seq < entry.seq) continue;
      if (message.status === "streaming" && entry.status === "pending") this.markStreaming(entry);
      entry.seq = seq;
      entry.text = message.content;
      entry.reasoning = message.reasoning;
      this.render(entry);
      setReasoning(entry.el, message.reasoning);
    }
  }

  // Messages created, or finished, while this page was not listening.
  async catchUp() {
    const open = [...this.messages.entries()].filter(([, e]) => isUnfinished(e.status)).map(([id]) => id);
    const last = Math.max(0, ...this.messages.keys());
    const since = open.length ? Math.min(...open) : last + 1;
    let body;
    try {
      body = await getJson(`/chats/${this.chatId}/messages?since_id=${since}`);
    } catch {
      return;
    }
    for (const m of body.messages) {
      if (this.messages.has(m.id)) this.finish(m);
      else this.upsert(m);
    }
  }

  // The shown path changed: drop what left it, add what joined it, refresh each turn's versions.
  async reloadPath() {
    let body;
    try {
      body = await getJson(`/chats/${this.chatId}/messages`);
    } catch {
      return;
    }
    const shown = new Set(body.messages.map((m) => m.id));
    for (const [id, entry] of this.messages) {
      if (shown.has(id)) continue;
      window.clearTimeout(entry.timer);
      entry.el.remove();
      this.messages.delete(id);
    }
    for (const m of body.messages) {
      const entry = this.messages.get(m.id);
      if (entry) {
        setVersions(entry.el, m);
        this.finish(m);
      } else {
        this.upsert(m);
      }
    }
    this.onChange();
  }

  // message.tool_call: a call appears as soon as its name is known, then fills in.
  addToolCall(data) {
    const entry = this.messages.get(data.message_id);
    if (entry) setToolCalls(entry.el, [data.call]);
  }

  async cancel(messageId) {
    const response = await post(`/chats/${this.chatId}/messages/${messageId}/cancel`);
    return response.status < 400 || response.status === 409;
  }

  // What "Copy" puts on the clipboard: the message as written, Markdown and all (a table stays
  // a table), from the message itself once it is finished.
  async sourceOf(article) {
    const id = Number(article.dataset.messageId);
    const entry = this.messages.get(id);
    if (entry && entry.text && !isUnfinished(entry.status)) return entry.text;
    const body = await getJson(`/chats/${this.chatId}/messages?since_id=${id}`);
    const message = body.messages.find((m) => m.id === id);
    return message ? message.content : article.querySelector(".content").innerText.trim();
  }

  async onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const article = button.closest("article.message");
    const action = button.dataset.action;
    if (await this.versions.handle(action, button, article)) return;
    if (action === "cancel") {
      button.disabled = true;
      if (!(await this.cancel(article.dataset.messageId))) button.disabled = false;
    } else if (action === "copy-message") {
      const label = button.querySelector("span");
      try {
        await copyText(await this.sourceOf(article));
        label.textContent = "Copied";
      } catch {
        label.textContent = "Copy failed";
      }
      button.classList.add("done");
      window.setTimeout(() => {
        label.textContent = "Copy";
        button.classList.remove("done");
      }, 1500);
    }
  }
}
