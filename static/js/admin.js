// The Admin page's "Test connection": the provider's answer (its models, or its own error
// text) shown in its row, without leaving the page. Without script, the form posts and the
// answer comes back as a notice.
import { post } from "./http.js";

for (const form of document.querySelectorAll("form[data-test-form]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = form.closest("tr").querySelector("[data-test-result]");
    const button = form.querySelector("button");
    button.disabled = true;
    result.className = "test-result";
    result.textContent = "Asking the provider…";
    const response = await post(form.action, new FormData(form)).catch(() => null);
    const body = response ? await response.json().catch(() => null) : null;
    button.disabled = false;
    if (!body) {
      result.classList.add("failed");
      result.textContent = "Could not reach Confab; try again.";
      return;
    }
    result.classList.add(body.ok ? "passed" : "failed");
    result.textContent = body.ok ? body.message : body.error.message;
  });
}
