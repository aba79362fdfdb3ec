// The chat page: wires the live connection to the message list, header, composer and presence.
import { showReading } from "./attachments.js";
import { money } from "./message-view.js";
import { ChatHeader } from "./chat-header.js";
import { ChatTools } from "./chat-tools.js";
import { Composer } from "./composer.js";
import { socket } from "./live.js";
import { MessageList } from "./messages.js";
import { Presence } from "./presence.js";

const root = document.getElementById("chat");
const chatId = Number(root.dataset.chatId);
const myId = Number(root.dataset.userId);
const connection = document.getElementById("connection");

const composerError = document.getElementById("composer-error");
let composer = null;
const list = new MessageList(document.getElementById("messages"), chatId, {
  myId,
  onChange: () => composer && composer.setStreaming(list.latestUnfinished() !== null),
  onError: (message) => { composerError.textContent = message; },
});
const presence = new Presence(document.getElementById("presence"), document.getElementById("typing-indicator"), myId);
composer = new Composer(document.getElementById("composer"), {
  chatId,
  onSent: (answer) => {
    list.upsert(answer.user_message);
    list.upsert(answer.assistant_message);
    list.scrollDown(true);
  },
  onStop: async () => {
    const id = list.latestUnfinished();
    if (id !== null) await list.cancel(id);
  },
  onTyping: () => socket.emit("typing", { chat_id: chatId }),
});
composer.setStreaming(list.latestUnfinished() !== null);
const tools = new ChatTools(root);
const header = new ChatHeader(root, {
  onError: (message) => { composerError.textContent = message; },
  onModelChanged: (blocked) => composer.setBlocked(blocked),
  onModelShown: (option) => tools.modelCalls(option.dataset.tools === "yes"),
});

let joined = false;
let early = [];

function setConnection(text, offline) {
  connection.textContent = text;
  connection.classList.toggle("offline", offline);
}

function onDelta(data) {
  if (!joined) {
    early.push(data);
    return;
  }
  if (!list.applyDelta(data)) join(); // a gap: ask for a fresh snapshot
}

function join() {
  joined = false;
  socket.emit("join", { chat_id: chatId }, async (ack) => {
    if (!ack || !ack.ok) {
      setConnection(ack && ack.error ? ack.error : "could not join", true);
      return;
    }
    list.applySnapshot(ack.unfinished);
    joined = true;
    const waiting = early;
    early = [];
    waiting.forEach(onDelta);
    setConnection("live", false);
    await list.catchUp();
  });
}

socket.on("connect", join);
// The page's other scripts may have opened the socket before this module ran (its imports take
// longer to load): then "connect" has already fired, and the room is joined now.
if (socket.connected) join();
socket.on("disconnect", () => {
  joined = false;
  setConnection("reconnecting…", true);
});
socket.on("connect_error", () => setConnection("offline", true));
socket.on("message.created", (data) => {
  if (data.chat_id !== chatId) return;
  list.upsert(data.message);
  if (data.message.user) presence.stopped(data.message.user.id);
});
socket.on("message.delta", onDelta);
// The chat's running total: every reply counts once, whichever version is shown.
const chatCost = document.getElementById("chat-cost");
const counted = new Set();
function addToTotal(m) {
  if (counted.has(m.id) || m.cost === null || m.cost === undefined) return;
  counted.add(m.id);
  const cost = Number(chatCost.dataset.cost) + Number(m.cost);
  const tokens = Number(chatCost.dataset.tokens) + (m.input_tokens || 0) + (m.output_tokens || 0);
  chatCost.dataset.cost = cost;
  chatCost.dataset.tokens = tokens;
  chatCost.textContent = `${money(cost)} · ${tokens.toLocaleString("en-US")} tokens`;
}
for (const name of ["completed", "failed", "cancelled", "interrupted"]) {
  socket.on(`message.${name}`, (data) => {
    if (data.chat_id !== chatId) return;
    addToTotal(data.message);
    list.finish(data.message);
  });
}
socket.on("attachment.read", (data) => data.chat_id === chatId && showReading(document, data.attachment));
socket.on("message.tool_call", (data) => data.chat_id === chatId && list.addToolCall(data));
socket.on("chat.updated", (data) => data.chat_id === chatId && header.apply(data));
socket.on("chat.tools", (data) => {
  if (data.chat_id !== chatId) return;
  tools.apply({ ...data, by: data.by && data.by.id === myId ? null : data.by });
});
socket.on("chat.path", (data) => data.chat_id === chatId && list.reloadPath());
socket.on("presence", (data) => data.chat_id === chatId && presence.show(data.members));
socket.on("typing", (data) => data.chat_id === chatId && presence.someoneTyping(data.user));
socket.on("access.ended", (data) => {
  if (data.account_id !== Number(document.getElementById("chat").dataset.accountId)) return;
  const why = "You are no longer a member of this chat's account.";
  setConnection(why, true);
  composer.setBlocked(why);
});
// Moved to another account: the page asks again (this person may see it there, or not).
socket.on("chat.moved", (data) => data.chat_id === chatId && window.location.reload());
socket.on("chat.deleted", (data) => {
  if (data.chat_id !== chatId) return;
  setConnection("This chat was deleted.", true);
  composer.setBlocked("This chat was deleted.");
  window.setTimeout(() => window.location.assign("/chats"), 1500);
});

// The delete dialog names the chat as it is now: its title and messages may have changed.
const deleteForm = document.getElementById("delete-form");
deleteForm?.addEventListener("submit", () => {
  const title = document.getElementById("chat-title").textContent.trim();
  const count = document.querySelectorAll("#messages article.message").length;
  deleteForm.dataset.confirm = `“${title}” and all of its ${count} message${count === 1 ? "" : "s"} will be deleted `
    + `for everyone in ${deleteForm.dataset.accountName}. This cannot be undone.`;
});

// A search result opens the chat at its message (#message-N), marked; otherwise, at the end.
function showFound() {
  const found = /^#message-\d+$/.test(window.location.hash) && document.querySelector(window.location.hash);
  if (!found) return false;
  document.querySelectorAll(".message.found").forEach((m) => m.classList.remove("found"));
  found.classList.add("found");
  found.scrollIntoView({ block: "center" });
  return true;
}
window.addEventListener("hashchange", showFound);
if (!showFound()) list.scrollDown(true);
