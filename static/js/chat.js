// The live chat page: joins the chat's Socket.IO room, relays deltas in seq order,
// swaps in sanitised HTML on completion, and catches up after reloads and reconnects.
import { applyFinal, buildMessage, isUnfinished, toolCallElement } from "./dom.js";

const root = document.getElementById("chat");
const chatId = Number(root.dataset.chatId);
const list = document.getElementById("messages");
const composer = document.getElementById("composer");
const input = document.getElementById("composer-input");
const composerError = document.getElementById("composer-error");
const connection = document.getElementById("connection");
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

// id -> {el, seq, status}
const messages = new Map();
let joined = false;
let early = [];

for (const article of list.querySelectorAll("article.message")) {
  messages.set(Number(article.dataset.messageId), { el: article, seq: 0, status: article.dataset.status });
}

function nearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
}

function scrollDown(force) {
  if (force || nearBottom()) list.scrollTop = list.scrollHeight;
}

function upsert(m) {
  const stick = nearBottom();
  const known = messages.get(m.id);
  if (known) {
    if (!isUnfinished(m.status) && isUnfinished(known.status)) finish(m);
    return known;
  }
  document.getElementById("empty-chat")?.remove();
  const article = buildMessage(m);
  const entry = { el: article, seq: 0, status: m.status };
  messages.set(m.id, entry);
  const later = [...messages.keys()].filter((id) => id > m.id).sort((a, b) => a - b)[0];
  if (later !== undefined) list.insertBefore(article, messages.get(later).el);
  else list.append(article);
  scrollDown(stick);
  return entry;
}

function finish(m) {
  const entry = messages.get(m.id);
  if (!entry) return upsert(m);
  if (!isUnfinished(entry.status)) return entry;
  const stick = nearBottom();
  entry.status = m.status;
  applyFinal(entry.el, m);
  scrollDown(stick);
  return entry;
}

function appendText(entry, channel, text) {
  if (channel === "reasoning") {
    const details = entry.el.querySelector(".reasoning");
    details.hidden = false;
    details.querySelector(".reasoning-text").append(document.createTextNode(text));
  } else {
    entry.el.querySelector(".content").append(document.createTextNode(text));
  }
}

function markStreaming(entry) {
  entry.status = "streaming";
  entry.el.dataset.status = "streaming";
  entry.el.classList.replace("status-pending", "status-streaming");
  entry.el.querySelector(".status").textContent = "streaming";
}

function onDelta(data) {
  if (!joined) {
    early.push(data);
    return;
  }
  const entry = messages.get(data.message_id);
  if (!entry || !isUnfinished(entry.status) || data.seq <= entry.seq) return;
  if (data.seq !== entry.seq + 1) {
    // A gap means something was missed: ask for a fresh snapshot.
    rejoin();
    return;
  }
  const stick = nearBottom();
  if (entry.status === "pending") markStreaming(entry);
  entry.seq = data.seq;
  appendText(entry, data.channel, data.text);
  scrollDown(stick);
}

function applySnapshot(unfinished) {
  for (const { message, seq } of unfinished) {
    const entry = upsert(message);
    if (!isUnfinished(entry.status) || seq < entry.seq) continue;
    if (message.status === "streaming" && entry.status === "pending") markStreaming(entry);
    entry.seq = seq;
    entry.el.querySelector(".content").textContent = message.content;
    const reasoning = entry.el.querySelector(".reasoning");
    reasoning.querySelector(".reasoning-text").textContent = message.reasoning;
    reasoning.hidden = !message.reasoning;
  }
}

async function catchUp() {
  // Messages created, or finished, while this page was not listening.
  const open = [...messages.entries()].filter(([, e]) => isUnfinished(e.status)).map(([id]) => id);
  const last = Math.max(0, ...messages.keys());
  const since = open.length ? Math.min(...open) : last + 1;
  const response = await fetch(`/chats/${chatId}/messages?since_id=${since}`, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const body = await response.json();
  for (const m of body.messages) {
    if (isUnfinished(m.status)) upsert(m);
    else finish(m);
  }
}

function join() {
  joined = false;
  socket.emit("join", { chat_id: chatId }, async (ack) => {
    if (!ack || !ack.ok) {
      connection.textContent = ack && ack.error ? ack.error : "could not join";
      connection.classList.add("offline");
      return;
    }
    applySnapshot(ack.unfinished);
    joined = true;
    const waiting = early;
    early = [];
    waiting.forEach(onDelta);
    connection.textContent = "live";
    connection.classList.remove("offline");
    await catchUp();
  });
}

function rejoin() {
  if (joined) join();
}

const socket = io({ transports: ["websocket", "polling"] });
socket.on("connect", join);
socket.on("disconnect", () => {
  joined = false;
  connection.textContent = "reconnecting…";
  connection.classList.add("offline");
});
socket.on("connect_error", () => {
  connection.textContent = "offline";
  connection.classList.add("offline");
});
socket.on("message.created", (data) => upsert(data.message));
socket.on("message.delta", onDelta);
for (const name of ["completed", "failed", "cancelled", "interrupted"]) {
  socket.on(`message.${name}`, (data) => finish(data.message));
}
socket.on("message.tool_call", (data) => {
  const entry = messages.get(data.message_id);
  if (entry) entry.el.querySelector(".tool-calls").append(toolCallElement(data.tool_call));
});
socket.on("chat.updated", (data) => {
  const title = data.title || "New chat";
  document.getElementById("chat-title").textContent = title;
  document.title = `${title} · Confab`;
  const picker = document.getElementById("model-picker");
  if (picker && data.model_id) picker.value = data.model_id;
  const instructions = document.getElementById("instructions");
  if (instructions && document.activeElement !== instructions) instructions.value = data.instructions || "";
});
socket.on("chat.deleted", () => {
  connection.textContent = "This chat was deleted.";
  composer.querySelector("button").disabled = true;
  window.setTimeout(() => window.location.assign("/chats"), 1500);
});

async function post(url, body) {
  return fetch(url, {
    method: "POST",
    body,
    headers: { "X-CSRFToken": csrfToken, "X-Requested-With": "fetch", Accept: "application/json" },
  });
}

async function send(event) {
  event.preventDefault();
  const content = input.value;
  if (!content.trim()) {
    composerError.textContent = "Write a message first.";
    return;
  }
  composerError.textContent = "";
  const form = new FormData(composer);
  input.value = "";
  let response;
  try {
    response = await post(composer.action, form);
  } catch {
    input.value = content;
    composerError.textContent = "Could not reach Confab. Your message is still here; try again.";
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (response.status !== 202) {
    if (!input.value) input.value = content;
    composerError.textContent = body.error ? body.error.message : `Sending failed (${response.status}).`;
    return;
  }
  upsert(body.user_message);
  upsert(body.assistant_message);
  scrollDown(true);
}

composer.addEventListener("submit", send);
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

list.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-action=cancel]");
  if (!button) return;
  const article = button.closest("article.message");
  button.disabled = true;
  const response = await post(`/chats/${chatId}/messages/${article.dataset.messageId}/cancel`);
  if (response.status >= 400 && response.status !== 409) button.disabled = false;
});

scrollDown(true);
