// The chat's tool switches (the wrench in the header): Confab's own tools and each MCP server
// the account has on. A switch is a fetch; everyone in the chat sees it through `chat.tools`.
import { post } from "./http.js";

export class ChatTools {
  constructor(root) {
    this.button = root.querySelector("#open-tools");
    this.count = root.querySelector("#tools-chip-count");
    this.drawer = root.querySelector("#tools-drawer");
    this.form = root.querySelector("#tools-form");
    this.status = root.querySelector("#tools-status");
    this.note = root.querySelector("#tools-model-note");
    this.button.addEventListener("click", () => this.drawer.showModal());
    this.drawer.querySelector("[data-action=close-dialog]").addEventListener("click", () => this.drawer.close());
    this.drawer.addEventListener("click", (event) => {
      if (event.target === this.drawer) this.drawer.close(); // a click on the backdrop
    });
    for (const box of this.switches()) box.addEventListener("change", () => this.save(box));
  }

  switches() {
    return [...this.drawer.querySelectorAll(".tool-switch")];
  }

  async save(box) {
    const body = new FormData(this.form);
    body.set("group", box.name);
    body.set("on", box.checked ? "1" : "0");
    this.status.textContent = "Saving…";
    const response = await post(this.form.action, body).catch(() => null);
    if (!response || !response.ok) {
      box.checked = !box.checked;
      const failed = response ? await response.json().catch(() => ({})) : {};
      this.status.textContent = failed.error ? failed.error.message : "Could not reach Confab; try again.";
      return;
    }
    this.apply(await response.json());
    this.status.textContent = "Saved: the next answer uses these tools.";
  }

  // A switch made here or by another member (`chat.tools`).
  apply({ tools_off: off, by }) {
    for (const box of this.switches()) box.checked = !off.includes(box.name);
    this.count.textContent = String(this.switches().filter((box) => box.checked).length);
    if (by) this.status.textContent = `${by.name} changed the tools.`;
  }

  // The chat now answers with a model that does (or does not) call tools.
  modelCalls(tools) {
    this.note.textContent = tools ? this.note.dataset.withTools : this.note.dataset.withoutTools;
    this.button.classList.toggle("muted-chip", !tools);
  }
}
