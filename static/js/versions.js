// Versions of a turn: regenerate (optionally with another model), edit a question in place,
// and switch between versions. Each is a fetch; the answer's `chat.path` event makes every
// page in the room, this one included, reload the shown path.
import { el } from "./dom.js";
import { post } from "./http.js";
import { ModelPicker } from "./model-picker.js";

export class Versions {
  constructor(list, dialog) {
    this.list = list;
    this.dialog = dialog;
    this.target = null;
    this.picker = new ModelPicker(dialog);
    dialog.addEventListener("click", (event) => {
      const choice = event.target.closest("[data-regenerate-model]");
      if (choice) {
        dialog.close();
        this.act(this.target, "regenerate", { model_id: choice.dataset.regenerateModel });
      } else if (event.target === dialog) {
        dialog.close();
      }
    });
  }

  // Returns true when the click was one of ours.
  async handle(action, button, article) {
    if (action === "regenerate") {
      button.disabled = true;
      await this.act(article.dataset.messageId, "regenerate");
      button.disabled = false;
    } else if (action === "regenerate-with") {
      this.target = article.dataset.messageId;
      this.picker.open();
    } else if (action === "switch") {
      if (button.dataset.targetId) await this.act(button.dataset.targetId, "switch");
    } else if (action === "edit") {
      this.startEdit(article);
    } else {
      return false;
    }
    return true;
  }

  // Regenerate, edit or switch: the answer's `chat.path` event reloads every page in the room.
  async act(messageId, action, fields = {}) {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    const path = action === "switch" ? "show" : action;
    let response;
    try {
      response = await post(`/chats/${this.list.chatId}/messages/${messageId}/${path}`, body);
    } catch {
      this.list.onError("Could not reach Confab; try again.");
      return false;
    }
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      this.list.onError(answer.error ? answer.error.message : `That did not work (${response.status}).`);
      return false;
    }
    this.list.onError("");
    await this.list.reloadPath();
    this.list.scrollDown(action !== "switch");
    return true;
  }

  startEdit(article) {
    if (article.querySelector(".editor")) return;
    const content = article.querySelector(".content");
    const editor = el("form", "editor");
    const area = el("textarea");
    area.value = article.querySelector(".source")?.value || content.innerText;
    area.rows = Math.min(12, area.value.split("\n").length + 1);
    area.setAttribute("aria-label", "Edit your message");
    const actions = el("div", "editor-actions");
    const cancel = el("button", "secondary small", "Cancel");
    cancel.type = "button";
    const save = el("button", "primary small", "Save and ask");
    save.type = "submit";
    actions.append(cancel, save);
    editor.append(area, actions);
    content.hidden = true;
    content.after(editor);
    area.focus();
    const close = () => {
      editor.remove();
      content.hidden = false;
    };
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        editor.requestSubmit();
      }
    });
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      if (await this.act(article.dataset.messageId, "edit", { content: area.value })) close();
      else save.disabled = false;
    });
  }
}
