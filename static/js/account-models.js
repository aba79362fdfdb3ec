// The account page's models (owners): the checklist narrows as you type, and is greyed out
// while the account offers every enabled model.
import { ModelFilter } from "./model-picker.js";

const form = document.getElementById("account-models-form");
if (form) {
  const checklist = document.getElementById("model-checklist");
  new ModelFilter(checklist);
  const sync = () => {
    const all = form.querySelector("input[name=offer][value=all]").checked;
    checklist.dataset.all = String(all);
    for (const box of checklist.querySelectorAll("input[type=checkbox]")) box.disabled = all;
  };
  for (const radio of form.querySelectorAll("input[name=offer]")) radio.addEventListener("change", sync);
  sync();
}
