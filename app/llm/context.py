"""Building a model request from a chat's history (SPEC §4), with a report of what was sent."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from app.models import Message
from app.models.chats import CANCELLED, COMPLETED, FAILED, INTERRUPTED
from app.services.conversation import path_to

NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MESSAGE_OVERHEAD_TOKENS = 4
SENDABLE_ASSISTANT = (COMPLETED, CANCELLED, INTERRUPTED, FAILED)


def estimate_tokens(text: str) -> int:
    """A provider-neutral estimate (about four characters a token); no tokenizer download."""
    return (len(text) + 3) // 4


def api_name(name: str | None, fallback: str) -> str:
    """A participant name as the API accepts it: ``[A-Za-z0-9_-]{1,64}``."""
    cleaned = NAME_UNSAFE.sub("_", (name or "").strip()).strip("_")[:64]
    return cleaned or fallback


@dataclass
class BuiltRequest:
    messages: list[dict]
    report: dict = field(default_factory=dict)


def history_before(message: Message) -> list[Message]:
    """The messages ``message`` follows on its path of the chat's tree (what the model is sent
    for it), in a constant number of queries however long the chat or how many branches."""
    return path_to(message.parent_id)


def _as_api_message(message: Message) -> dict | None:
    if message.role == "user":
        fallback = f"user_{message.user_id}" if message.user_id else "user"
        return {"role": "user", "content": message.content or "",
                "name": api_name(message.user.name if message.user else None, fallback)}
    if message.role == "assistant":
        if message.status not in SENDABLE_ASSISTANT:
            return None
        if not message.content and not message.tool_calls:
            return None
        data: dict = {"role": "assistant", "content": message.content or ""}
        if message.tool_calls:
            data["tool_calls"] = [
                {"id": call.tool_call_id, "type": "function",
                 "function": {"name": call.name, "arguments": json.dumps(call.arguments or {})}}
                for call in message.tool_calls
            ]
        return data
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content or ""}
    if message.role == "system":
        return {"role": "system", "content": message.content or ""}
    return None


def _cost(message: dict) -> int:
    text = message.get("content") or ""
    if not isinstance(text, str):
        text = json.dumps(text)
    extra = json.dumps(message.get("tool_calls")) if message.get("tool_calls") else ""
    return MESSAGE_OVERHEAD_TOKENS + estimate_tokens(text) + estimate_tokens(extra)


def build_request(
    history: list[Message], instructions: str | None, context_window: int, max_output_tokens: int
) -> BuiltRequest:
    """Instructions first, then the history in order, trimmed oldest-first to fit.

    The budget is ``context_window - max_output_tokens``. Instructions and the
    newest user message are always kept; a tool result never goes without the
    assistant message that asked for it.
    """
    candidates = [m for m in (_as_api_message(msg) for msg in history) if m is not None]
    system = [{"role": "system", "content": instructions}] if instructions else []
    budget = max(context_window - max_output_tokens, 0)
    used = sum(_cost(m) for m in system)
    last_user = max((i for i, m in enumerate(candidates) if m["role"] == "user"), default=None)

    kept_from = len(candidates)
    for index in range(len(candidates) - 1, -1, -1):
        cost = _cost(candidates[index])
        if used + cost > budget and index != last_user and (last_user is None or index < last_user):
            break
        used += cost
        kept_from = index
    while kept_from < len(candidates) and candidates[kept_from]["role"] == "tool":
        kept_from += 1

    kept = candidates[kept_from:]
    report = {
        "included": len(kept),
        "trimmed": len(candidates) - len(kept),
        "instructions": bool(instructions),
        "estimated_tokens": sum(_cost(m) for m in system + kept),
        "budget_tokens": budget,
        "attachments": [],
    }
    return BuiltRequest(messages=system + kept, report=report)
