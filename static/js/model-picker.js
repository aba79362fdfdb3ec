// Long lists of models (templates/chats/_model_picker.html). A ModelFilter narrows a list as
// you type, by name, id and provider; a ModelPicker is a dialog of such a list where the
// arrow keys move between the options left, Enter in the search box takes the first one,
// Escape closes, and a letter typed on an option goes back to the search.

export class ModelFilter {
  constructor(root) {
    this.search = root.querySelector("[data-model-search]");
    this.noMatch = root.querySelector("[data-model-no-match]");
    this.options = [...root.querySelectorAll("[data-search]")];
    this.groups = [...root.querySelectorAll(".model-group")];
    this.search.addEventListener("input", () => this.filter());
  }

  visible() {
    return this.options.filter((option) => !option.closest("li").hidden);
  }

  filter() {
    const words = this.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const option of this.options) {
      option.closest("li").hidden = !words.every((word) => option.dataset.search.includes(word));
    }
    for (const group of this.groups) {
      group.hidden = !group.querySelector("li:not([hidden])");
    }
    this.noMatch.hidden = this.visible().length > 0;
  }
}

export class ModelPicker {
  constructor(dialog) {
    this.dialog = dialog;
    this.list = new ModelFilter(dialog);
    this.search = this.list.search;
    this.search.addEventListener("keydown", (event) => this.onSearchKey(event));
    dialog.addEventListener("keydown", (event) => this.onOptionKey(event));
  }

  // Opens with an empty search, the current model (or, in a long list, the search box) focused.
  open() {
    this.search.value = "";
    this.list.filter();
    this.dialog.showModal();
    const current = this.list.options.find((option) => option.classList.contains("current"));
    if (this.list.options.length > 8 || !current) {
      this.search.focus();
    } else {
      current.focus();
    }
  }

  onSearchKey(event) {
    const shown = this.list.visible();
    if (event.key === "ArrowDown" && shown.length) {
      event.preventDefault();
      shown[0].focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (shown.length) shown[0].click();
    } else if (event.key === "Escape") {
      event.preventDefault(); // a search box would only clear itself; Escape closes the picker
      this.dialog.close();
    }
  }

  onOptionKey(event) {
    const option = event.target.closest?.(".model-option");
    if (!option) return;
    const shown = this.list.visible();
    const index = shown.indexOf(option);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: shown.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      const next = moves[event.key];
      if (next < 0) this.search.focus();
      else shown[Math.min(next, shown.length - 1)].focus();
    } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      this.search.focus(); // the key's character lands in the search box
    }
  }
}
