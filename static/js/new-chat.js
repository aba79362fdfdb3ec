// The home page's composer, where "New chat" leads: nothing is stored until the first message,
// which starts the chat (POST /chats); the page then opens it and its answer streams in there.
import { Composer } from "./composer.js";

const form = document.getElementById("composer");
const composer = new Composer(form, {
  chatId: `new:${form.dataset.accountId}`,
  dropZone: document.getElementById("home"),
  onSent: (started) => { window.location.assign(started.url); },
  onStop: async () => {},
  onTyping: () => {},
});
form.querySelector("select")?.addEventListener("change", () => composer.input.focus());
