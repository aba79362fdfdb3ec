// The benchmark's clients, in Node processes of their own so they do not starve Confab.
//
// Reads one JSON line on stdin: {role, urls, cookie, csrf, chats: [ids], prompt, viewers:
// [{cookie, chatIndex}], idle: [cookie], storm}. Chat i talks to web process i mod len(urls)
// for everything, as a sticky load balancer would send it.
//
// The "posters" process opens one Socket.IO connection per chat and joins it, warms one HTTP
// connection per chat and its POST path (a refused post), prints {"ready": true}, and waits
// for a "go" line ("warm" warms the HTTP connections again and prints {"warm": true}). On
// "go" it posts the prompt into every chat at once and records, per chat, when the post was
// sent and answered, and every delta of the reply with its arrival time. When every reply has
// ended (or after `timeoutMs`) it prints the results, with how late its own event loop ran, as
// one JSON line and exits.
//
// The "audience" process holds the other members, as their own browsers would: one socket per
// viewer (another member watching chat chatIndex), joined before it prints {"ready": true}, and
// on an "idle" line the idle members (signed in, on a page, in no chat: they hear the account's
// sidebar events), then {"idle": true}. With `storm` set, the idle members connect on "go"
// instead, all at once beside the posts (a web process restarted: every open page connects
// again), and each one's connect time is recorded. On "end" it prints what its members received.
import { createInterface } from "node:readline";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { io } from "socket.io-client";

const now = () => performance.timeOrigin + performance.now(); // wall clock, ms, sub-ms precision
const lines = createInterface({ input: process.stdin });
const queue = [];
let wake = null;
lines.on("line", (line) => { queue.push(line); if (wake) { wake(); wake = null; } });
const nextLine = async () => {
  while (!queue.length) await new Promise((resolve) => { wake = resolve; });
  return queue.shift();
};

const config = JSON.parse(await nextLine());
const streams = config.chats.map((chatId, index) => ({
  chatId, url: config.urls[index % config.urls.length], replyId: null, postedAt: 0, answeredAt: 0, status: null,
  deltas: [], // [seq, receivedAt, text]
  ended: null, endedAt: 0,
}));
const viewers = (config.viewers || []).map((viewer, index) => ({
  ...streams[viewer.chatIndex], cookie: viewer.cookie, viewer: index, deltas: [], ended: null, endedAt: 0,
}));
const idle = (config.idle || []).map((cookie, index) => ({ cookie, url: config.urls[index % config.urls.length],
  sidebarEvents: 0, sidebarChanges: 0, connectMs: null }));
let ended = 0;
let finish;
const allEnded = new Promise((resolve) => { finish = resolve; });

const CONNECT_DEADLINE_MS = 30_000;
const CONNECTING_AT_ONCE = 25;

// A socket that must be connected (and joined) by the deadline, or this process fails loudly.
function open(url, cookie, reject) {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, extraHeaders: { Cookie: cookie } });
  const deadline = setTimeout(() => reject(new Error(`no connection to ${url} within ${CONNECT_DEADLINE_MS} ms`)),
    CONNECT_DEADLINE_MS);
  socket.on("disconnect", (reason) => reject(new Error(`disconnected while connecting: ${reason}`)));
  socket.settled = () => clearTimeout(deadline);
  return socket;
}

// A socket in a chat: the poster's own (counted towards the end of the run) or a viewer's.
function connect(stream, cookie = config.cookie, counted = true) {
  return new Promise((resolve, reject) => {
    const socket = open(stream.url, cookie, reject);
    socket.on("connect_error", reject);
    socket.on("message.delta", (d) => {
      stream.deltas.push([d.seq, now(), d.text]);
    });
    for (const name of ["message.completed", "message.failed", "message.cancelled", "message.interrupted"]) {
      socket.on(name, (d) => {
        if (d.message.role !== "assistant" || stream.ended) return;
        stream.ended = { status: d.message.status, content: d.message.content };
        stream.endedAt = now();
        if (counted && ++ended === streams.length) finish();
      });
    }
    socket.on("connect", () => {
      socket.emit("join", { chat_id: stream.chatId }, (ack) => {
        socket.settled();
        if (ack.ok) resolve(socket); else reject(new Error(ack.error));
      });
    });
  });
}

// A member on a page with no chat open: connected, in the account's room only.
function connectIdle(member) {
  return new Promise((resolve, reject) => {
    const socket = open(member.url, member.cookie, reject);
    socket.on("connect_error", reject);
    socket.on("chats.changed", (d) => { member.sidebarEvents += 1; member.sidebarChanges += d.changes.length; });
    const asked = now();
    socket.on("connect", () => { socket.settled(); member.connectMs = now() - asked; resolve(socket); });
  });
}

// At most `limit` connections opening at once: a thousand at the same instant is a test of the
// listen backlog and the database pool (each connect loads its person), not of a team arriving
// in the morning.
async function inBatches(items, limit, each) {
  const opened = [];
  for (let start = 0; start < items.length; start += limit) {
    opened.push(...await Promise.all(items.slice(start, start + limit).map(each)));
  }
  return opened;
}

function post(stream, content) {
  return fetch(`${stream.url}/chats/${stream.chatId}/messages`, {
    method: "POST",
    headers: {
      Cookie: config.cookie, "X-CSRFToken": config.csrf, "X-Requested-With": "fetch",
      Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ content }),
  });
}

const posting = config.role === "posters";
const sockets = posting ? await inBatches(streams, CONNECTING_AT_ONCE, (stream) => connect(stream))
  : await inBatches(viewers, CONNECTING_AT_ONCE, (viewer) => connect(viewer, viewer.cookie, false));
// A browser posts over a connection it already has: open one per chat before the clock starts.
async function warm() {
  await Promise.all(streams.map(async (stream) => {
    const response = await fetch(`${stream.url}/chats/${stream.chatId}/messages?since_id=1000000000`, {
      headers: { Cookie: config.cookie, Accept: "application/json" },
    });
    await response.text();
  }));
  // Node's fetch is JavaScript, compiled on first use (a browser's is native): send one post per chat
  // that is refused (an empty message stores nothing), so the timed posts take a warm path.
  await Promise.all(streams.map((stream) => post(stream, " ").then((response) => response.text())));
}
if (posting) await warm();
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
for (let line = await nextLine(); line !== "go"; line = await nextLine()) {
  if (line === "idle") sockets.push(...await inBatches(idle, CONNECTING_AT_ONCE, connectIdle));
  if (line === "warm" && posting) await warm(); // fetch closes a connection idle for 4 s: open them again
  process.stdout.write(JSON.stringify({ [line]: true }) + "\n");
}
// How late this process's own event loop ran: that lateness is counted in every delta's added latency.
const loopDelay = monitorEventLoopDelay({ resolution: 2 });
loopDelay.enable();

if (posting) {
  await Promise.all(streams.map(async (stream) => {
    stream.postedAt = now();
    const response = await post(stream, config.prompt);
    stream.answeredAt = now();
    stream.status = response.status;
    if (response.status === 202) stream.replyId = (await response.json()).assistant_message.id;
  }));
  process.stdout.write(JSON.stringify({ posted: true }) + "\n");
  await Promise.race([allEnded, new Promise((resolve) => setTimeout(resolve, config.timeoutMs))]);
} else {
  if (config.storm) sockets.push(...await Promise.all(idle.map(connectIdle)));
  while (await nextLine() !== "end");
}
// The viewers' and idle members' last events are on their way with the posters' own.
await new Promise((resolve) => setTimeout(resolve, 1000));
loopDelay.disable();
for (const socket of sockets) socket.close();
const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
const viewed = viewers.map(({ chatId, viewer, deltas, ended: end }) => ({ chatId, viewer, deltas, ended: end }));
const sidebars = idle.map(({ sidebarEvents, sidebarChanges, connectMs }) => ({ sidebarEvents, sidebarChanges, connectMs }));
process.stdout.write(JSON.stringify({ results: posting ? streams : [], viewers: viewed, idle: sidebars,
  eventLoopDelayMs: delay }) + "\n",
  () => process.exit(0));
