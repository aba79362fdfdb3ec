// Talking to the server over HTTP: fetch calls with the CSRF header, and uploads with progress.
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

// A POST with files, reporting upload progress (fetch cannot); resolves to {status, body}.
export function upload(url, body, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken);
    request.setRequestHeader("X-Requested-With", "fetch");
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch { /* not JSON: the status says enough */ }
      resolve({ status: request.status, body: answer });
    });
    request.addEventListener("error", () => reject(new Error("network")));
    request.send(body);
  });
}
