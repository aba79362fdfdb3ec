// The page's one Socket.IO connection, shared by the sidebar and the chat page.
export const socket = window.io ? window.io({ transports: ["websocket", "polling"] }) : null;

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

// A state-changing fetch with the CSRF header; answers JSON.
export async function post(url, body) {
  return fetch(url, {
    method: "POST",
    body,
    headers: { "X-CSRFToken": csrfToken, "X-Requested-With": "fetch", Accept: "application/json" },
  });
}

export async function getJson(url) {
  const response = await fetch(url, { headers: { "X-Requested-With": "fetch", Accept: "application/json" } });
  if (!response.ok) throw new Error(`${response.status}`);
  return response.json();
}
