// Light or dark before the first paint: the saved choice, else the system's. A classic
// script (not a module) so it runs while the page is still parsing.
(function () {
  const KEY = "confab:theme";
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  const saved = () => {
    try { return localStorage.getItem(KEY); } catch { return null; }
  };
  const apply = () => {
    document.documentElement.dataset.theme = saved() || (media.matches ? "dark" : "light");
  };
  apply();
  media.addEventListener("change", apply);
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-action=toggle-theme]")) return;
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    try { localStorage.setItem(KEY, next); } catch { /* private mode: this page only */ }
    document.documentElement.dataset.theme = next;
  });
})();
