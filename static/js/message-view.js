// A message as the page shows it: building its element from MESSAGE JSON and updating it as the
// reply streams and completes. Text goes in with textContent; HTML only from the server's
// sanitiser or from markdown.js (DOMPurify held to the server's allow-list).
import { attachmentElement } from "./attachments.js";
import { el } from "./dom.js";
import { enhance } from "./markdown.js";
import { localise } from "./times.js";

const UNFINISHED = new Set(["pending", "streaming"]);
// Which model wrote a reply, by name: the chat page's list of them (#chat data-model-names).
const modelNames = JSON.parse(document.getElementById("chat")?.dataset.modelNames || "{}");

export function isUnfinished(status) {
  return UNFINISHED.has(status);
}

const number = new Intl.NumberFormat("en-US");
const plural = (count, word) => `${number.format(count)} ${word}${count === 1 ? "" : "s"}`;

// The same as app/costs/usage.py usd: cents from a cent up, an amount under a cent exactly.
export function money(value) {
  if (value === null || value === undefined) return "–";
  const amount = Number(value);
  if (amount === 0 || Math.abs(amount) >= 0.01) {
    return "$" + amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  return "$" + amount.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
}


// The same words as app/web/display.py usage_summary and context_summary.
export function usageText(m) {
  let input = `${plural(m.input_tokens || 0, "token")} in`;
  if (m.cached_tokens) input += ` (${number.format(m.cached_tokens)} cached)`;
  let output = `${number.format(m.output_tokens || 0)} out`;
  if (m.reasoning_tokens) output += ` (${number.format(m.reasoning_tokens)} reasoning)`;
  const source = m.context?.cost_source;
  const cost = source === "unpriced" ? "price unknown" : money(m.cost);
  const billed = source === "provider" ? " (as the provider billed it)" : "";
  return `${input} · ${output} · ${cost}${billed}`;
}

export function contextText(report) {
  if (!report) return "";
  if (report.image) return "Drawn from the request's description";
  const parts = [`Context: ${plural(report.included || 0, "message")} sent`];
  if (report.trimmed) parts.push(`${plural(report.trimmed, "older message")} left out to fit`);
  if (report.instructions) parts.push("instructions included");
  for (const item of report.attachments || []) parts.push(attachmentReport(item));
  return parts.join(" · ");
}

function attachmentReport(item) {
  const chars = item.chars ? ` (${plural(item.chars, "character")}${item.pages ? `, ${plural(item.pages, "page")}` : ""})` : "";
  switch (item.sent_as) {
    case "image": return `${item.filename} sent as an image`;
    case "audio": return `${item.filename} sent as audio`;
    case "file": return `${item.filename} sent as a PDF file`;
    case "text": return `${item.filename} sent as text${chars}${item.partial ? `, partly read: ${item.partial}` : ""}`;
    default: return `${item.filename} left out: ${item.reason || "not sent"}`;
  }
}

function authorName(m) {
  if (m.user) return m.user.name;
  return m.role === "assistant" ? "Assistant" : m.role.charAt(0).toUpperCase() + m.role.slice(1);
}

function icon(name) {
  // The same drawings as templates/_icons.html for the two icons messages need.
  const paths = {
    copy: '<rect x="9" y="9" width="11" height="11" rx="2"/><path d="M5 15V5a2 2 0 0 1 2-2h10"/>',
    stop: '<rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor"/>',
    refresh: '<path d="M20 11a8 8 0 0 0-14.5-4.5L4 8M4 4v4h4M4 13a8 8 0 0 0 14.5 4.5L20 16M20 20v-4h-4"/>',
    pencil: '<path d="M4 20h4L19 9l-4-4L4 16zM14 6l4 4"/>',
    chevron: '<path d="m6 9 6 6 6-6"/>',
  };
  const template = document.createElement("template");
  template.innerHTML = `<svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${paths[name]}</svg>`;
  return template.content.firstChild;
}

function footButton(className, action, label, iconName) {
  const button = el("button", className);
  button.type = "button";
  button.dataset.action = action;
  button.append(icon(iconName));
  if (label) button.append(el("span", null, label));
  return button;
}

// "‹ 2 / 3 ›" for a turn with several versions (regenerated answers, edited questions).
export function setVersions(article, m) {
  const holder = article.querySelector(".versions");
  const ids = m.siblings;
  if (!ids) return; // not known from this event: keep what is shown
  holder.replaceChildren();
  holder.hidden = ids.length < 2;
  if (ids.length < 2) return;
  const index = ids.indexOf(m.id);
  const step = (label, target, name) => {
    const button = el("button", "ghost small", label);
    button.type = "button";
    button.dataset.action = "switch";
    button.dataset.targetId = target ?? "";
    button.setAttribute("aria-label", name);
    button.disabled = target === undefined;
    return button;
  };
  holder.append(
    step("‹", ids[index - 1], "Previous version"),
    el("span", "version-label", `${index + 1} / ${ids.length}`),
    step("›", ids[index + 1], "Next version"),
  );
}

function setRegenerate(article, m) {
  const button = article.querySelector("[data-action=regenerate]");
  if (!button) return;
  button.querySelector("span").textContent = m.status === "completed" ? "Regenerate" : "Retry";
  button.hidden = isUnfinished(m.status);
  article.querySelector("[data-action=regenerate-with]").hidden = isUnfinished(m.status);
}

export function reasoningSize(text) {
  return `${number.format((text || "").length)} characters`;
}

// A new <article> with the same structure as templates/chats/_message.html.
export function buildMessage(m, myId) {
  const article = el("article", `message role-${m.role} status-${m.status}`);
  article.id = `message-${m.id}`;
  article.dataset.messageId = m.id;
  article.dataset.status = m.status;
  article.dataset.role = m.role;
  if (m.user) article.dataset.userId = m.user.id;
  if (m.parent_id) article.dataset.parentId = m.parent_id;
  const avatar = el("span", m.user ? "avatar" : "avatar bot", m.user ? m.user.initials : "AI");
  avatar.setAttribute("aria-hidden", "true");
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.append(el("span", "author", authorName(m)));
  if (m.model_id) {
    const model = el("span", "model", modelNames[m.model_id] || m.model_id);
    model.title = m.model_id;
    meta.append(model);
  }
  const time = el("time");
  time.dateTime = m.created_at;
  localise(time);
  meta.append(time);
  const status = el("span", "status", m.status);
  status.hidden = m.status === "completed";
  meta.append(status);
  const reasoning = el("details", "reasoning");
  const summary = el("summary", null, "Reasoning ");
  summary.append(el("span", "reasoning-size", reasoningSize(m.reasoning)));
  reasoning.append(summary, el("div", "reasoning-text", m.reasoning || ""));
  reasoning.hidden = !m.reasoning;
  const tools = el("div", "tool-calls");
  for (const call of m.tool_calls || []) tools.append(toolCallElement(call));
  const content = el("div", "content markdown");
  body.append(meta, reasoning, tools, content);
  if (isUnfinished(m.status)) {
    content.classList.add("live");
    const typing = el("span", "typing");
    typing.setAttribute("aria-label", "generating");
    typing.append(el("i"), el("i"), el("i"));
    body.append(typing);
  } else if (m.html !== undefined) {
    content.innerHTML = m.html;
    enhance(content);
  } else {
    content.classList.add("plain");
    content.textContent = m.content || "";
  }
  if ((m.attachments || []).length) {
    const list = el("ul", "attachments");
    for (const a of m.attachments) list.append(attachmentElement(a));
    body.append(list);
  }
  const error = el("div", "error", m.error || "");
  error.hidden = !m.error;
  const mine = m.role === "user" && m.user && m.user.id === myId;
  if (mine) {
    const source = el("textarea", "source");
    source.hidden = true;
    source.value = m.content || "";
    body.append(source);
  }
  const foot = el("div", "message-foot");
  foot.append(el("span", "versions"), footButton("ghost small", "copy-message", "Copy", "copy"));
  if (m.role === "assistant") {
    foot.append(footButton("ghost small", "regenerate", "Regenerate", "refresh"));
    const more = footButton("ghost small regen-more", "regenerate-with", null, "chevron");
    more.setAttribute("aria-label", "Regenerate with another model");
    more.title = "Regenerate with another model";
    foot.append(more);
  } else if (mine) {
    foot.append(footButton("ghost small", "edit", "Edit", "pencil"));
  }
  const cancel = footButton("cancel ghost small danger", "cancel", "Stop", "stop");
  cancel.hidden = !isUnfinished(m.status);
  foot.append(cancel);
  if (m.role === "assistant") {
    const usage = el("span", "usage", usageText(m));
    usage.hidden = m.output_tokens === null || m.output_tokens === undefined;
    const context = el("span", "context-report", contextText(m.context));
    context.hidden = !m.context;
    foot.append(usage, context);
  }
  body.append(error, foot);
  article.append(avatar, body);
  setVersions(article, m);
  setRegenerate(article, m);
  return article;
}

// One tool call as a compact block that expands: name, state and time, then the
// arguments and the result (or the error the model was sent). The same markup as
// templates/chats/_message.html; updated in place while the call runs.
export function toolCallElement(call) {
  const node = el("details", "tool-call");
  node.dataset.callKey = `${call.round}:${call.id}`;
  const summary = el("summary");
  summary.append(el("span", "tool-icon", "⚙"));
  // An MCP server's tool: its server's name, then the tool's own name (the model calls it
  // `server__tool`).
  if (call.server) summary.append(el("span", "tool-server", call.server));
  summary.append(el("span", "tool-name", call.server ? call.name.split("__").slice(1).join("__") || call.name : call.name),
    el("span", "tool-state"));
  const args = el("div", "tool-section");
  args.append(el("span", "tool-label", "Arguments"), el("pre", "tool-arguments"));
  const result = el("div", "tool-section");
  result.append(el("span", "tool-label", "Result"), el("pre", "tool-result"));
  node.append(summary, args, result);
  updateToolCall(node, call);
  return node;
}

export function updateToolCall(node, call) {
  const status = call.status || "running";
  node.className = `tool-call status-${status}`;
  const state = node.querySelector(".tool-state");
  state.textContent = status === "running" ? "running…"
    : `${status === "error" ? "error" : "done"}${call.duration_ms != null ? ` · ${call.duration_ms} ms` : ""}`;
  const args = call.arguments;
  node.querySelector(".tool-arguments").textContent =
    args === null || args === undefined ? "…" : typeof args === "string" ? args : JSON.stringify(args, null, 2);
  node.querySelector(".tool-result").textContent = call.result ?? (status === "running" ? "…" : "");
}

// A reply's files arrive with its end (a drawn picture): list them under the text.
function setAttachments(article, attachments) {
  if (!(attachments || []).length || article.querySelector(".attachments")) return;
  const list = el("ul", "attachments");
  for (const a of attachments) list.append(attachmentElement(a));
  article.querySelector(".content").after(list);
}

export function setToolCalls(article, calls) {
  const box = article.querySelector(".tool-calls");
  for (const call of calls || []) {
    const existing = box.querySelector(`[data-call-key="${CSS.escape(`${call.round}:${call.id}`)}"]`);
    if (existing) updateToolCall(existing, call);
    else box.append(toolCallElement(call));
  }
}

// Swap a finished message's live text for the server's sanitised HTML and show its outcome.
export function applyFinal(article, m) {
  article.className = `message role-${m.role} status-${m.status}`;
  article.dataset.status = m.status;
  const body = article.querySelector(".body");
  const status = body.querySelector(".status");
  status.textContent = m.status;
  status.hidden = m.status === "completed";
  body.querySelector("[data-action=cancel]").hidden = true;
  body.querySelector(".typing")?.remove();
  const content = body.querySelector(".content");
  content.classList.remove("live", "plain");
  if (m.html !== undefined) {
    content.innerHTML = m.html;
    enhance(content);
  } else {
    content.classList.add("plain");
    content.textContent = m.content || "";
  }
  setReasoning(article, m.reasoning);
  setToolCalls(article, m.tool_calls);
  setAttachments(article, m.attachments);
  setRegenerate(article, m);
  setVersions(article, m);
  const error = body.querySelector(".error");
  error.textContent = m.error || "";
  error.hidden = !m.error;
  const usage = body.querySelector(".usage");
  if (usage) {
    usage.textContent = usageText(m);
    usage.hidden = m.output_tokens === null || m.output_tokens === undefined;
  }
  const context = body.querySelector(".context-report");
  if (context) {
    context.textContent = contextText(m.context);
    context.hidden = !m.context;
  }
}

export function setReasoning(article, text) {
  const reasoning = article.querySelector(".reasoning");
  reasoning.querySelector(".reasoning-text").textContent = text || "";
  reasoning.querySelector(".reasoning-size").textContent = reasoningSize(text);
  reasoning.hidden = !text;
}
