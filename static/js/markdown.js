// Markdown while a reply streams: marked renders, DOMPurify keeps only what the server's nh3
// allow-list keeps (read from the page, app/conversations/rendering.py SANITISER_POLICY). On completion the
// server's own sanitised HTML replaces it. Code blocks and tables get their frame here too.
import { Marked } from "/static/vendor/marked.esm.js";
import DOMPurify from "/static/vendor/purify.es.mjs";

const policyElement = document.getElementById("sanitiser-policy");
const policy = policyElement ? JSON.parse(policyElement.textContent) : { tags: [], attributes: {}, url_schemes: [], link_rel: "" };
const allowedAttributes = Object.fromEntries(Object.entries(policy.attributes).map(([tag, names]) => [tag, new Set(names)]));

const escapes = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => escapes[c]);

// Raw HTML in the Markdown is shown as text, as markdown-it does on the server (html: false).
// Pictures only from this app's own attachments; any other image is a link (as on the server).
const ownImage = new RegExp(policy.own_image_source || "^$");
const marked = new Marked({ gfm: true, breaks: true });
marked.use({
  renderer: {
    html: (token) => escapeHtml(token.text ?? token.raw ?? ""),
    image: ({ href, text }) => (ownImage.test(href || "") ? false : `<a href="${escapeHtml(href || "")}">${escapeHtml(text || href || "")}</a>`),
  },
});

const purifier = DOMPurify(window);
purifier.addHook("uponSanitizeAttribute", (node, data) => {
  const allowed = allowedAttributes[node.nodeName.toLowerCase()];
  if (!allowed || !allowed.has(data.attrName)) data.keepAttr = false;
});
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A" && node.hasAttribute("href")) node.setAttribute("rel", policy.link_rel);
});
const schemes = policy.url_schemes.map((s) => s.replace(/[^a-z]/g, "")).join("|");
const purifyConfig = {
  ALLOWED_TAGS: policy.tags,
  ALLOWED_ATTR: [...new Set(Object.values(policy.attributes).flat())],
  ALLOWED_URI_REGEXP: new RegExp(`^(?:(?:${schemes}):|[^a-z]|[a-z+.\\-]+(?:[^a-z+.\\-:]|$))`, "i"),
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
};

export function renderMarkdown(text) {
  return purifier.sanitize(marked.parse(text || ""), purifyConfig);
}

export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-http deployments have no clipboard API: select a hidden textarea and copy.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "visually-hidden";
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

function copyButton(label, getText) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "ghost small";
  button.textContent = label;
  button.addEventListener("click", async () => {
    try {
      await copyText(getText());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed";
    }
    window.setTimeout(() => { button.textContent = label; }, 1500);
  });
  return button;
}

// Frame rendered content: a language label and copy button on code blocks, tables that scroll.
export function enhance(container) {
  for (const pre of container.querySelectorAll("pre")) {
    if (pre.parentElement.classList.contains("code-block")) continue;
    const code = pre.querySelector("code");
    const language = code && [...code.classList].find((c) => c.startsWith("language-"));
    const frame = document.createElement("div");
    frame.className = "code-block";
    const head = document.createElement("div");
    head.className = "code-head";
    const label = document.createElement("span");
    label.className = "code-language";
    label.textContent = language ? language.slice("language-".length) : "text";
    head.append(label, copyButton("Copy code", () => (code || pre).textContent));
    pre.replaceWith(frame);
    frame.append(head, pre);
  }
  for (const table of container.querySelectorAll("table")) {
    if (table.parentElement.classList.contains("table-scroll")) continue;
    const frame = document.createElement("div");
    frame.className = "table-scroll";
    table.replaceWith(frame);
    frame.append(table);
  }
}
