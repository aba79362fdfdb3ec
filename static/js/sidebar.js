// The sidebar's chat list: grouped by the viewer's own days, searched by title and message text, loaded page by
// page as it scrolls, and live: chats created, renamed, touched or deleted by any member.
import { el } from "./dom.js";
import { getJson } from "./http.js";
import { daysAgo } from "./times.js";

const SEARCH_DELAY_MS = 200;

function groupOf(date) {
  const days = daysAgo(date);
  if (days <= 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days <= 7) return "Previous 7 days";
  if (days <= 30) return "Previous 30 days";
  return "Older";
}

export class Sidebar {
  constructor(nav, socket) {
    this.nav = nav;
    this.list = nav.querySelector("#chat-nav-list");
    this.empty = nav.querySelector("#chat-nav-empty");
    this.more = nav.querySelector("#chat-nav-more");
    this.search = document.getElementById("chat-search");
    this.accountId = Number(nav.dataset.accountId);
    this.currentChat = Number(nav.dataset.currentChat) || null;
    this.nextAfter = Number(nav.dataset.nextAfter) || null;
    this.query = "";
    this.hits = [];
    this.loading = false;
    this.chats = new Map(); // id -> {chat_id, title, updated_at, url}
    for (const item of this.list.querySelectorAll(".chat-nav-item")) {
      const link = item.querySelector("a");
      const id = Number(item.dataset.chatId);
      this.chats.set(id, { chat_id: id, title: link.textContent, updated_at: item.dataset.updatedAt, url: link.getAttribute("href") });
    }
    this.render();
    let timer = null;
    this.search.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => this.runSearch(this.search.value.trim()), SEARCH_DELAY_MS);
    });
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.search.value) {
        this.search.value = "";
        this.runSearch("");
      }
    });
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.loadMore();
    }, { root: nav }).observe(this.more);
    if (socket) this.listen(socket);
  }

  matches(chat) {
    return !this.query || chat.title.toLowerCase().includes(this.query.toLowerCase());
  }

  render() {
    const sorted = [...this.chats.values()].sort((a, b) => (b.updated_at > a.updated_at ? 1 : b.updated_at < a.updated_at ? -1 : b.chat_id - a.chat_id));
    const items = [];
    let group = null;
    for (const chat of sorted) {
      const name = this.query ? "Matching chats" : groupOf(new Date(chat.updated_at));
      if (name !== group) {
        group = name;
        items.push(el("li", "chat-nav-group", name));
      }
      const item = el("li", "chat-nav-item");
      item.dataset.chatId = chat.chat_id;
      item.dataset.updatedAt = chat.updated_at;
      const link = el("a", null, chat.title);
      link.href = chat.url;
      if (chat.chat_id === this.currentChat) {
        item.classList.add("current");
        link.setAttribute("aria-current", "page");
      }
      if (chat.fresh) {
        item.classList.add("fresh");
        chat.fresh = false;
      }
      item.append(link);
      items.push(item);
    }
    this.renderHits(items);
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0;
    this.empty.textContent = this.query ? `No chat or message matches “${this.query}”.` : this.empty.dataset.text || this.empty.textContent;
    this.empty.dataset.text ||= this.empty.textContent;
  }

  async fetchPage(after) {
    const params = new URLSearchParams();
    if (this.query) params.set("q", this.query);
    if (after) params.set("after", after);
    return getJson(`/chats?${params}`);
  }

  async runSearch(query) {
    this.query = query;
    const asked = query;
    let page;
    try {
      page = await this.fetchPage(null);
    } catch {
      return;
    }
    if (asked !== this.query) return; // a newer search is on its way
    this.chats = new Map(page.chats.map((c) => [c.chat_id, c]));
    this.nextAfter = page.next_after;
    this.hits = page.messages || [];
    this.render();
  }

  // Messages that say the words, under the matching titles: the snippet with the words marked
  // (the server marks them «like this»; they become <mark> elements, never HTML).
  renderHits(items) {
    if (!this.query || !this.hits.length) return;
    items.push(el("li", "chat-nav-group", "In messages"));
    for (const hit of this.hits) {
      const item = el("li", "chat-nav-item message-hit");
      const link = el("a");
      link.href = `/chats/${hit.chat_id}#message-${hit.message_id}`;
      const snippet = el("span", "hit-snippet");
      hit.snippet.split(/«|»/).forEach((part, index) => {
        if (part) snippet.append(index % 2 ? el("mark", null, part) : document.createTextNode(part));
      });
      link.append(el("span", "hit-chat", hit.chat), snippet);
      item.append(link);
      items.push(item);
    }
  }

  async loadMore() {
    if (this.loading || !this.nextAfter) return;
    this.loading = true;
    try {
      const page = await this.fetchPage(this.nextAfter);
      for (const chat of page.chats) if (!this.chats.has(chat.chat_id)) this.chats.set(chat.chat_id, chat);
      this.nextAfter = page.next_after;
      this.render();
    } catch {
      // Leave the list as it is; scrolling again retries.
    } finally {
      this.loading = false;
    }
  }

  apply(change) {
    if (change.account_id !== this.accountId) return;
    if (change.event === "chat.deleted") {
      this.chats.delete(change.chat_id);
      return;
    }
    const chat = {
      chat_id: change.chat_id, title: change.display_title || change.title || "New chat",
      updated_at: change.updated_at, url: change.url, fresh: change.event === "chat.created",
    };
    if (this.matches(chat)) this.chats.set(chat.chat_id, chat);
    else this.chats.delete(chat.chat_id);
  }

  // Changes arrive gathered, twice a second at most (app/realtime/sidebar_batch.py). An
  // invitation for this person shows above the account switcher at once.
  listen(socket) {
    socket.on("chats.changed", (data) => {
      for (const change of data.changes || []) this.apply(change);
      this.render();
    });
    socket.on("invitation.received", (data) => showInvitation(data));
  }
}

const seenInvitations = new Set();
function showInvitation(data) {
  const notice = document.getElementById("invitation-notice");
  if (!notice || seenInvitations.has(data.invitation_id)) return;
  seenInvitations.add(data.invitation_id);
  const count = document.getElementById("invitation-count");
  const waiting = Number(count.dataset.count) + 1;
  count.dataset.count = waiting;
  count.textContent = `${waiting} invitation${waiting === 1 ? "" : "s"} waiting`;
  notice.title = `${data.inviter} invites you to join ${data.account}`;
  notice.hidden = false;
}
