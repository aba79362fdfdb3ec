// Who is in the chat now (avatars in the header) and who is typing (under the composer).
import { el } from "./dom.js";

const TYPING_SHOWN_MS = 4000;

export class Presence {
  constructor(list, indicator, myId) {
    this.list = list;
    this.indicator = indicator;
    this.myId = myId;
    this.typing = new Map(); // user id -> {name, timer}
  }

  show(members) {
    this.list.replaceChildren(...members.map((member) => {
      const item = el("li");
      const avatar = el("span", "avatar", member.initials);
      const name = member.id === this.myId ? `${member.name} (you)` : member.name;
      avatar.title = name;
      avatar.setAttribute("aria-label", name);
      item.append(avatar);
      return item;
    }));
    this.list.setAttribute("aria-label", `In this chat now: ${members.map((m) => m.name).join(", ")}`);
  }

  someoneTyping(user) {
    if (!user || user.id === this.myId) return;
    const known = this.typing.get(user.id);
    if (known) window.clearTimeout(known.timer);
    const timer = window.setTimeout(() => this.stopped(user.id), TYPING_SHOWN_MS);
    this.typing.set(user.id, { name: user.name, timer });
    this.renderTyping();
  }

  stopped(userId) {
    const known = this.typing.get(userId);
    if (!known) return;
    window.clearTimeout(known.timer);
    this.typing.delete(userId);
    this.renderTyping();
  }

  renderTyping() {
    const names = [...this.typing.values()].map((t) => t.name);
    if (!names.length) this.indicator.textContent = "";
    else if (names.length === 1) this.indicator.textContent = `${names[0]} is typing…`;
    else this.indicator.textContent = `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
  }
}
