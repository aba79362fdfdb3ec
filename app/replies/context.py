"""Building a model request from a chat's history (SPEC §4), with a report of what was sent."""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

from app.files import storage
from app.models import Attachment, Message
from app.models.chats import CANCELLED, COMPLETED, FAILED, INTERRUPTED, PARTLY_READ, UNREADABLE

NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MESSAGE_OVERHEAD_TOKENS = 4
SENDABLE_ASSISTANT = (COMPLETED, CANCELLED, INTERRUPTED, FAILED)
ALL_CAPABILITIES = frozenset({"vision", "audio", "pdf", "tools", "streaming"})
# Token estimates of parts that are not text (providers count them their own way).
IMAGE_TOKENS = 800
PDF_PAGE_TOKENS = 800
AUDIO_BYTES_PER_TOKEN = 1000


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


def _attachment_part(attachment: Attachment, capabilities: frozenset[str]) -> tuple[dict, int, dict]:
    """How one file reaches the model: its part, the part's estimated tokens, and the report."""
    kind, name = attachment.kind, attachment.filename
    report = {"id": attachment.id, "filename": name, "kind": kind, "bytes": attachment.byte_size}
    try:
        raw = storage.read(attachment.storage_key) if kind != "pdf" or "pdf" in capabilities else b""
    except (OSError, ValueError):
        note = f"[{name}: left out, its file is missing from storage]"
        return _text_part(note), estimate_tokens(note), {**report, "sent_as": "nothing", "reason": "the file is missing"}
    if kind == "image" and "vision" in capabilities:
        data = base64.b64encode(raw).decode()
        part = {"type": "image_url", "image_url": {"url": f"data:{attachment.content_type};base64,{data}"}}
        return part, IMAGE_TOKENS, {**report, "sent_as": "image"}
    if kind == "audio" and "audio" in capabilities:
        data = base64.b64encode(raw).decode()
        part = {"type": "input_audio", "input_audio": {"data": data, "format": attachment.content_type.split("/")[1]
                                                       .replace("mpeg", "mp3")}}
        return part, max(attachment.byte_size // AUDIO_BYTES_PER_TOKEN, 50), {**report, "sent_as": "audio"}
    if kind == "pdf" and "pdf" in capabilities:
        data = base64.b64encode(raw).decode()
        part = {"type": "file", "file": {"filename": name, "file_data": f"data:application/pdf;base64,{data}"}}
        return part, PDF_PAGE_TOKENS * (attachment.page_count or 1), {**report, "sent_as": "file",
                                                                      "pages": attachment.page_count}
    if kind == "pdf" and attachment.read_state == UNREADABLE:
        note = f"[{name}: a PDF that could not be read. {attachment.read_note}]"
        return _text_part(note), estimate_tokens(note), {**report, "sent_as": "nothing",
                                                        "reason": attachment.read_note}
    if kind == "pdf":
        if not attachment.extracted_text:
            note = f"[{name}: a PDF of {_pages(attachment.page_count)} with no text in it (a scan?); it could not be read]"
            return _text_part(note), estimate_tokens(note), {**report, "sent_as": "nothing", "pages": attachment.page_count,
                                                            "reason": "no text in the PDF"}
        partly = attachment.read_state == PARTLY_READ
        heading = f"{name}, text extracted from a PDF of {_pages(attachment.page_count)}"
        text = f"[{heading}. {attachment.read_note}]" if partly else f"[{heading}]"
        text += f"\n{attachment.extracted_text}"
        sent = {**report, "sent_as": "text", "pages": attachment.page_count, "chars": len(attachment.extracted_text)}
        if partly:
            sent["partial"] = attachment.read_note
        return _text_part(text), estimate_tokens(text), sent
    if kind == "text":
        body = raw.decode("utf-8-sig", "replace")
        text = f"[{name}]\n{body}"
        return _text_part(text), estimate_tokens(text), {**report, "sent_as": "text", "chars": len(body)}
    needed = "vision" if kind == "image" else "audio"
    note = f"[{name}: left out, this model cannot take {kind}]"
    return _text_part(note), estimate_tokens(note), {**report, "sent_as": "nothing", "reason": f"the model has no {needed}"}


def _pages(count: int | None) -> str:
    return "unknown pages" if count is None else f"{count:,} page" + ("" if count == 1 else "s")


def _text_part(text: str) -> dict:
    return {"type": "text", "text": text}


def _as_api_message(message: Message, capabilities: frozenset[str] = ALL_CAPABILITIES) -> dict | None:
    if message.role == "user":
        fallback = f"user_{message.user_id}" if message.user_id else "user"
        name = api_name(message.user.name if message.user else None, fallback)
        if not message.attachments:
            return {"role": "user", "content": message.content or "", "name": name}
        parts = [_text_part(message.content)] if message.content else []
        tokens, reports = estimate_tokens(message.content or ""), []
        for attachment in message.attachments:
            part, part_tokens, report = _attachment_part(attachment, capabilities)
            parts.append(part)
            tokens += part_tokens
            reports.append(report)
        return {"role": "user", "content": parts, "name": name, TOKENS: tokens, FILES: reports}
    if message.role == "assistant":
        if message.status not in SENDABLE_ASSISTANT:
            return None
        if not message.content and not message.tool_calls:
            return None
        return {"role": "assistant", "content": message.content or ""}
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content or ""}
    if message.role == "system":
        return {"role": "system", "content": message.content or ""}
    return None


TOKENS, FILES = "_tokens", "_files"  # our notes on a built message, removed before sending


def _as_api_messages(message: Message, capabilities: frozenset[str]) -> list[dict]:
    """A stored message as the API's messages: a reply that used tools is its calls, round by
    round, each followed by the tool messages with their results, then its answer."""
    single = _as_api_message(message, capabilities)
    if single is None:
        return []
    if message.role != "assistant" or not message.tool_calls:
        return [single]
    rounds: dict[int, list] = {}
    for call in message.tool_calls:
        rounds.setdefault(call.round, []).append(call)
    sent: list[dict] = []
    for calls in rounds.values():
        sent.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": call.tool_call_id, "type": "function", "function": {
                "name": call.name,
                "arguments": call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments or {})}}
            for call in calls]})
        sent.extend({"role": "tool", "tool_call_id": call.tool_call_id,
                     "content": (call.result or "") if call.status == "ok" else f"Error: {call.result}"} for call in calls)
    if message.content:
        sent.append(single)
    return sent


def _cost(message: dict) -> int:
    if TOKENS in message:
        return MESSAGE_OVERHEAD_TOKENS + message[TOKENS]
    text = message.get("content") or ""
    if not isinstance(text, str):
        text = json.dumps(text)
    extra = json.dumps(message.get("tool_calls")) if message.get("tool_calls") else ""
    return MESSAGE_OVERHEAD_TOKENS + estimate_tokens(text) + estimate_tokens(extra)


def build_request(
    history: list[Message], instructions: str | None, context_window: int, max_output_tokens: int,
    capabilities: frozenset[str] = ALL_CAPABILITIES,
) -> BuiltRequest:
    """Instructions first, then the history in order, trimmed oldest-first to fit.

    The budget is ``context_window - max_output_tokens``. Instructions and the
    newest user message are always kept; a tool result never goes without the
    assistant message that asked for it. Files go as the parts the model's
    ``capabilities`` allow (text otherwise), counted by their own estimates; the report
    says, per file, how it went, or that trimming left it out.
    """
    candidates = [m for msg in history for m in _as_api_messages(msg, capabilities)]
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
    files = [{**item, "sent_as": "trimmed", "reason": "left out to fit the context"}
             for m in candidates[:kept_from] for item in m.get(FILES, [])]
    files += [item for m in kept for item in m.get(FILES, [])]
    report = {
        "included": len(kept),
        "trimmed": len(candidates) - len(kept),
        "instructions": bool(instructions),
        "estimated_tokens": sum(_cost(m) for m in system + kept),
        "budget_tokens": budget,
        "attachments": files,
    }
    sent = [{k: v for k, v in m.items() if k not in (TOKENS, FILES)} for m in kept]
    return BuiltRequest(messages=system + sent, report=report)
