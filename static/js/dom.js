// Building message elements. Text goes in with textContent; HTML only from the server's sanitiser.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const UNFINISHED = new Set(["pending", "streaming"]);

export function isUnfinished(status) {
  return UNFINISHED.has(status);
}

function money(value) {
  if (value === null || value === undefined) return "–";
  if (!value) return "$0";
  return "$" + Number(value).toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
}

export function usageText(m) {
  let text = `${m.input_tokens || 0} in`;
  if (m.cached_tokens) text += ` (${m.cached_tokens} cached)`;
  text += ` · ${m.output_tokens || 0} out`;
  if (m.reasoning_tokens) text += ` (${m.reasoning_tokens} reasoning)`;
  return `${text} · ${money(m.cost)}`;
}

export function contextText(report) {
  if (!report) return "";
  const parts = [`Context: ${report.included || 0} messages sent`];
  if (report.trimmed) parts.push(`${report.trimmed} oldest trimmed to fit`);
  if (report.instructions) parts.push("instructions included");
  for (const item of report.attachments || []) parts.push(`${item.filename} as ${item.sent_as}`);
  return parts.join(" · ");
}

function authorName(m) {
  if (m.user) return m.user.name;
  return m.role === "assistant" ? "Assistant" : m.role.charAt(0).toUpperCase() + m.role.slice(1);
}

// A new <article> with the same structure as templates/chats/_message.html.
export function buildMessage(m) {
  const article = el("article", `message role-${m.role} status-${m.status}`);
  article.id = `message-${m.id}`;
  article.dataset.messageId = m.id;
  article.dataset.status = m.status;
  article.dataset.role = m.role;
  const avatar = el("span", m.user ? "avatar" : "avatar bot", m.user ? m.user.initials : "AI");
  const body = el("div", "body");
  const meta = el("div", "meta");
  meta.append(el("span", "author", authorName(m)));
  if (m.model_id) meta.append(el("span", "model", m.model_id));
  const status = el("span", "status", m.status);
  status.hidden = m.status === "completed";
  meta.append(status);
  const time = el("time", null, new Date(m.created_at).toTimeString().slice(0, 5));
  time.dateTime = m.created_at;
  meta.append(time);
  const cancel = el("button", "cancel danger small", "Stop");
  cancel.type = "button";
  cancel.dataset.action = "cancel";
  cancel.hidden = !isUnfinished(m.status);
  meta.append(cancel);
  const reasoning = el("details", "reasoning");
  reasoning.append(el("summary", null, "Reasoning"), el("div", "reasoning-text", m.reasoning || ""));
  reasoning.hidden = !m.reasoning;
  const tools = el("div", "tool-calls");
  for (const call of m.tool_calls || []) tools.append(toolCallElement(call));
  const content = el("div", "content");
  body.append(meta, reasoning, tools, content);
  if (isUnfinished(m.status)) {
    content.classList.add("live");
    content.textContent = m.content || "";
    const typing = el("span", "typing");
    typing.setAttribute("aria-label", "generating");
    typing.append(el("i"), el("i"), el("i"));
    body.append(typing);
  } else if (m.html !== undefined) {
    content.innerHTML = m.html;
  } else {
    content.textContent = m.content || "";
  }
  if ((m.attachments || []).length) {
    const list = el("ul", "attachments");
    for (const a of m.attachments) list.append(el("li", null, `📎 ${a.filename} (${a.content_type}, ${a.byte_size} bytes)`));
    body.append(list);
  }
  const error = el("div", "error", m.error || "");
  error.hidden = !m.error;
  body.append(error);
  if (m.role === "assistant") {
    const usage = el("div", "usage", usageText(m));
    usage.hidden = m.output_tokens === null || m.output_tokens === undefined;
    const context = el("div", "context-report", contextText(m.context));
    context.hidden = !m.context;
    body.append(usage, context);
  }
  article.append(avatar, body);
  return article;
}

export function toolCallElement(call) {
  const node = el("div", "tool-call", "🔧 ");
  node.append(el("strong", null, call.name), " ", el("code", null, JSON.stringify(call.arguments)));
  return node;
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
  const typing = body.querySelector(".typing");
  if (typing) typing.remove();
  const content = body.querySelector(".content");
  content.classList.remove("live");
  if (m.html !== undefined) content.innerHTML = m.html;
  else content.textContent = m.content || "";
  const reasoning = body.querySelector(".reasoning");
  reasoning.querySelector(".reasoning-text").textContent = m.reasoning || "";
  reasoning.hidden = !m.reasoning;
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
