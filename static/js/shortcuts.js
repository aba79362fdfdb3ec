// Keyboard shortcuts on every signed-in page (the sheet is templates/base.html's
// #shortcuts-dialog, opened with "?"): a new chat, the search, the message box, stopping the
// reply being written. None fires while someone types in a field, except the ones with
// Ctrl or Shift+Esc, and none takes a key the browser itself uses.
function typing(target) {
  return target.closest?.("input, textarea, select, [contenteditable='true']") !== null;
}

function visible(id) {
  const node = document.getElementById(id);
  return node && !node.hidden && !node.disabled ? node : null;
}

export function listenForShortcuts() {
  const sheet = document.getElementById("shortcuts-dialog");
  if (!sheet) return;
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const key = event.key.toLowerCase();
    const ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && event.shiftKey && key === "o") {
      event.preventDefault();
      document.getElementById("new-chat")?.click();
    } else if (ctrl && !event.shiftKey && key === "k") {
      event.preventDefault();
      document.body.classList.add("sidebar-open");
      document.getElementById("chat-search")?.focus();
    } else if (event.shiftKey && key === "escape") {
      event.preventDefault();
      visible("composer-input")?.focus();
    } else if (key === "escape" && !sheet.open && !document.querySelector("dialog[open]")) {
      const stop = visible("stop");
      if (stop) {
        event.preventDefault();
        stop.click();
      }
    } else if (event.key === "?" && !ctrl && !typing(event.target) && !sheet.open) {
      event.preventDefault();
      sheet.showModal();
    }
  });
}
