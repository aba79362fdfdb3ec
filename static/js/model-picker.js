// A model picker dialog at scale (templates/chats/_model_picker.html): typing filters the
// options by name, id and provider; the arrow keys move between the options left, Enter in
// the search box takes the first one, Escape closes, and a letter typed on an option goes back
// to the search.

export class ModelPicker {
  constructor(dialog) {
    this.dialog = dialog;
    this.search = dialog.querySelector("[data-model-search]");
    this.noMatch = dialog.querySelector("[data-model-no-match]");
    this.options = [...dialog.querySelectorAll(".model-option")];
    this.groups = [...dialog.querySelectorAll(".model-group")];
    this.search.addEventListener("input", () => this.filter());
    this.search.addEventListener("keydown", (event) => this.onSearchKey(event));
    dialog.addEventListener("keydown", (event) => this.onOptionKey(event));
  }

  // Opens with an empty search, the current model (or the search box) focused.
  open() {
    this.search.value = "";
    this.filter();
    this.dialog.showModal();
    const current = this.options.find((option) => option.classList.contains("current"));
    if (this.options.length > 8 || !current) {
      this.search.focus();
    } else {
      current.focus();
    }
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

  onSearchKey(event) {
    const shown = this.visible();
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
    const shown = this.visible();
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
