// What every page does: local times, the sidebar (and its drawer on narrow screens),
// dismissible notices, copy buttons, keyboard shortcuts, and a confirmation dialog before
// any form marked `data-confirm`.
import { socket } from "./live.js";
import { listenForShortcuts } from "./shortcuts.js";
import { Sidebar } from "./sidebar.js";
import { keepFresh } from "./times.js";

keepFresh();
listenForShortcuts();

const nav = document.getElementById("chat-nav");
if (nav) new Sidebar(nav, socket);

const scrim = document.querySelector(".sidebar-scrim");
function setSidebarOpen(open) {
  document.body.classList.toggle("sidebar-open", open);
  if (scrim) scrim.hidden = !open;
  document.querySelectorAll("[data-action=open-sidebar]").forEach((b) => b.setAttribute("aria-expanded", String(open)));
  if (open) document.getElementById("chat-search")?.focus();
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-action]");
  if (!target) return;
  if (target.dataset.action === "open-sidebar") setSidebarOpen(true);
  else if (target.dataset.action === "close-sidebar") setSidebarOpen(false);
  else if (target.dataset.action === "dismiss") target.closest(".flash")?.remove();
  else if (target.dataset.action === "copy") copyFrom(target);
});

// A "Copy" button next to a secret shown once (a token, an invitation link).
async function copyFrom(button) {
  const source = document.querySelector(button.dataset.copyTarget);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  } catch {
    window.getSelection().selectAllChildren(source);
    button.textContent = "Press Ctrl+C to copy";
  }
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("sidebar-open")) setSidebarOpen(false);
});

// Destructive forms ask first, in a <dialog> that names what will be lost.
const dialog = document.getElementById("confirm-dialog");
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.dataset.confirm || form.dataset.confirmed) return;
  event.preventDefault();
  dialog.querySelector("#confirm-title").textContent = form.dataset.confirmTitle || "Are you sure?";
  dialog.querySelector("#confirm-text").textContent = form.dataset.confirm;
  dialog.querySelector("#confirm-ok").textContent = form.dataset.confirmButton || "Delete";
  dialog.returnValue = "";
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "confirm") return;
    form.dataset.confirmed = "yes";
    form.requestSubmit();
  }, { once: true });
  dialog.showModal();
});
