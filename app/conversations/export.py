"""A chat as a file: Markdown for people, JSON (MESSAGE objects) for programs (SPEC §8).

Both hold the chat's shown path, the conversation every member sees; each message keeps its
author, time, model, tokens, cost, attachments, tool calls and reasoning.
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from app.conversations.actions import path_json
from app.costs.usage import usd
from app.models import Chat
from app.models.base import utcnow

EXPORT_FORMAT = "confab.chat.v1"
STATUS_NOTES = {"failed": "failed", "cancelled": "stopped", "interrupted": "interrupted",
                "pending": "waiting to be answered", "streaming": "still streaming when exported"}


def filename(chat: Chat, fmt: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", chat.display_title.lower()).strip("-")[:60] or "chat"
    return f"confab-{chat.id}-{slug}.{'json' if fmt == 'json' else 'md'}"


def _participants(chat: Chat, messages: list[dict]) -> list[dict]:
    people: dict[int, dict] = {}
    if chat.creator is not None:
        people[chat.creator.id] = chat.creator.to_public()
    for message in messages:
        if message["user"] is not None:
            people.setdefault(message["user"]["id"], message["user"])
    return list(people.values())


def as_json(chat: Chat) -> dict:
    messages = path_json(chat.id, chat.leaf_id)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "chat": chat.to_public(),
        "participants": _participants(chat, messages),
        "messages": messages,
    }


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def _size(byte_size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if byte_size < 1024 or unit == "MB":
            return f"{byte_size:,} {unit}" if unit == "bytes" else f"{byte_size:,.1f} {unit}"
        byte_size /= 1024
    return ""


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _author(message: dict, model_names: dict[str, str]) -> str:
    if message["role"] == "user":
        return message["user"]["name"] if message["user"] else "Former member"
    if message["role"] == "tool":
        return "Tool result"
    model_id = message["model_id"] or "unknown model"
    return f"{model_names.get(model_id, model_id)} (`{model_id}`)"


def _facts(message: dict) -> str:
    facts = []
    if message["status"] in STATUS_NOTES:
        facts.append(STATUS_NOTES[message["status"]])
    if message["role"] == "assistant" and message["input_tokens"] is not None:
        facts.append(f"{message['input_tokens']:,} tokens in, {message['output_tokens'] or 0:,} out")
        if message["reasoning_tokens"]:
            facts.append(f"{message['reasoning_tokens']:,} reasoning")
    if message["cost"] is not None:
        facts.append(usd(message["cost"]))
    return " · ".join(facts)


def _message_markdown(message: dict, model_names: dict[str, str]) -> list[str]:
    lines = [f"## {_author(message, model_names)} · {_when(message['created_at'])}", ""]
    if facts := _facts(message):
        lines += [f"_{facts}_", ""]
    if message["error"]:
        lines += [f"> Error: {message['error']}", ""]
    if message["reasoning"]:
        fence = _fence(message["reasoning"])
        lines += ["<details><summary>Reasoning</summary>", "", fence + "text", message["reasoning"], fence, "",
                  "</details>", ""]
    if message["content"]:
        lines += [message["content"], ""]
    for call in message["tool_calls"]:
        lines += [f"**Tool call** `{call['name']}` (`{call['id']}`) with arguments:", ""]
        arguments = call["arguments"] if isinstance(call["arguments"], str) else _pretty(call["arguments"])
        fence = _fence(arguments)
        lines += [fence + "json", arguments, fence, ""]
        if call.get("result") is not None:
            took = f" after {call['duration_ms']:,} ms" if call.get("duration_ms") is not None else ""
            label = "failed" if call.get("status") == "error" else "answered"
            fence = _fence(call["result"])
            lines += [f"The tool {label}{took}:", "", fence + "text", call["result"], fence, ""]
    if message["attachments"]:
        lines += ["Attachments:", ""]
        lines += [f"- {a['filename']} ({a['content_type']}, {_size(a['byte_size'])})" for a in message["attachments"]]
        lines.append("")
    return lines


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def as_markdown(chat: Chat) -> str:
    data = as_json(chat)
    messages = data["messages"]
    model_names = {chat.model_id: chat.model.name}
    total_cost = sum(m["cost"] or 0 for m in messages)
    lines = [f"# {chat.display_title}", ""]
    lines += [
        f"- Model: {chat.model.name} (`{chat.model_id}`)",
        f"- Account: {chat.account.name}",
        f"- Participants: {', '.join(p['name'] for p in data['participants']) or 'nobody yet'}",
        f"- Started: {_when(data['chat']['created_at'])}",
        f"- Exported: {_when(data['exported_at'])}",
        f"- Messages: {len(messages):,} · Cost: {usd(total_cost)}",
    ]
    if chat.instructions:
        lines += ["", "Instructions:", "", *[f"> {line}" for line in chat.instructions.splitlines()]]
    lines += ["", "---", ""]
    for message in messages:
        lines += _message_markdown(message, model_names)
    return "\n".join(lines).rstrip() + "\n"
