// The chat header: rename in place, the model picker, the instructions drawer (the tool
// switches are `chat-tools.js`). Every change is
// a fetch (CSRF header); other members see it through `chat.updated`, never a reload.
import { post } from "./http.js";
import { ModelPicker } from "./model-picker.js";

export class ChatHeader {
  constructor(root, { onError, onModelChanged, onModelShown }) {
    this.titleButton = root.querySelector("#chat-title");
    this.renameForm = root.querySelector("#rename-form");
    this.renameInput = root.querySelector("#rename-input");
    this.chip = root.querySelector("#model-chip");
    this.chipName = root.querySelector("#model-chip-name");
    this.modelDialog = root.querySelector("#model-dialog");
    this.drawer = root.querySelector("#instructions-drawer");
    this.instructions = root.querySelector("#instructions");
    this.instructionsForm = root.querySelector("#instructions-form");
    this.instructionsStatus = root.querySelector("#instructions-status");
    this.composerInput = document.getElementById("composer-input");
    this.onError = onError;
    this.onModelChanged = onModelChanged;
    this.onModelShown = onModelShown;
    this.savedTitle = this.renameInput.value;

    this.titleButton.addEventListener("click", () => this.startRename());
    this.renameForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.finishRename(true);
    });
    this.renameInput.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.finishRename(false);
      }
    });
    this.renameInput.addEventListener("blur", () => this.finishRename(true));

    this.picker = new ModelPicker(this.modelDialog);
    this.chip.addEventListener("click", () => this.picker.open());
    const modelForm = this.modelDialog.querySelector("#model-form");
    modelForm.addEventListener("submit", (event) => this.chooseModel(event, modelForm));
    root.querySelector("#open-instructions").addEventListener("click", () => {
      this.instructionsStatus.textContent = "";
      this.drawer.showModal();
    });
    this.drawer.querySelector("[data-action=close-dialog]").addEventListener("click", () => this.drawer.close());
    this.instructionsForm.addEventListener("submit", (event) => this.saveInstructions(event));
    for (const dialog of [this.modelDialog, this.drawer]) {
      dialog.addEventListener("click", (event) => {
        if (event.target === dialog) dialog.close(); // a click on the backdrop
      });
    }
  }

  startRename() {
    this.renameInput.value = this.savedTitle;
    this.titleButton.hidden = true;
    this.renameForm.hidden = false;
    this.renameInput.focus();
    this.renameInput.select();
  }

  async finishRename(save) {
    if (this.renameForm.hidden) return;
    const title = this.renameInput.value.trim();
    this.renameForm.hidden = true;
    this.titleButton.hidden = false;
    if (!save || !title || title === this.savedTitle) return;
    const previous = this.titleButton.textContent;
    this.titleButton.textContent = title;
    const response = await post(this.renameForm.action, new FormData(this.renameForm)).catch(() => null);
    if (!response || !response.ok) {
      this.titleButton.textContent = previous;
      this.onError(await this.errorOf(response, "Could not rename the chat."));
      return;
    }
    this.apply((await response.json()).chat);
    this.titleButton.focus();
  }

  async chooseModel(event, form) {
    event.preventDefault();
    const response = await post(form.action, new FormData(form, event.submitter)).catch(() => null);
    if (!response || !response.ok) {
      this.modelDialog.close();
      this.onError(await this.errorOf(response, "Could not change the model."));
      return;
    }
    const body = await response.json();
    this.apply(body.chat);
    this.onModelChanged(body.send_blocked);
    this.modelDialog.close();
    this.composerInput.focus();
  }

  async saveInstructions(event) {
    event.preventDefault();
    this.instructionsStatus.textContent = "Saving…";
    const response = await post(this.instructionsForm.action, new FormData(this.instructionsForm)).catch(() => null);
    if (!response || !response.ok) {
      this.instructionsStatus.textContent = await this.errorOf(response, "Could not save the instructions.");
      return;
    }
    this.apply((await response.json()).chat);
    this.instructionsStatus.textContent = this.instructions.value ? "Saved." : "Cleared.";
  }

  async errorOf(response, fallback) {
    if (!response) return "Could not reach Confab; try again.";
    const body = await response.json().catch(() => ({}));
    return body.error ? body.error.message : fallback;
  }

  // A change made here or by another member (`chat.updated`).
  apply(chat) {
    const title = chat.display_title || chat.title || "New chat";
    this.savedTitle = chat.title || "";
    if (this.renameForm.hidden) this.titleButton.textContent = title;
    document.title = `${title} · Confab`;
    const mobileTitle = document.querySelector(".mobile-title");
    if (mobileTitle) mobileTitle.textContent = title;
    if (chat.model_id && chat.model_id !== this.chip.dataset.modelId) {
      this.chip.dataset.modelId = chat.model_id;
      for (const option of this.modelDialog.querySelectorAll(".model-option")) {
        const current = option.dataset.modelId === chat.model_id;
        option.classList.toggle("current", current);
        if (current) {
          option.setAttribute("aria-current", "true");
          this.chipName.textContent = option.dataset.modelName;
          document.getElementById("demo-note").hidden = option.dataset.provider !== "demo";
          this.composerInput.placeholder = `Message ${option.dataset.modelName}…`;
          this.onModelShown(option);
        } else {
          option.removeAttribute("aria-current");
        }
      }
    }
    if (chat.instructions !== undefined && document.activeElement !== this.instructions) {
      this.instructions.value = chat.instructions || "";
    }
  }
}
