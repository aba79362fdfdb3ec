"""The end of a reply: store it in full, with tokens, cost, tool calls and files, and tell
its room (``finish``); or, for a reply that never streamed, only its state (``finish_without_stream``)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app import realtime
from app.conversations import announce
from app.conversations.rendering import public_message, stored_html
from app.extensions import db
from app.llm.streaming import Usage
from app.models import Message, ToolCall
from app.models.chats import COMPLETED
from app.platform.db_pool import while_unreachable
from app.platform.queue import enqueue_title
from app.replies import store
from app.replies.context import estimate_tokens
from app.replies.pictures import attach_picture, attach_tool_pictures

FINISH_WITHIN_SECONDS = 60  # how long a finished reply waits for an unreachable database (a restart) to store


@dataclass
class Outcome:
    status: str
    error: str | None = None


def finish(reply, outcome: Outcome) -> None:
    """Store ``reply`` (``app/replies/workflow.py``'s ``Reply``) in full, with tokens and cost at today's prices, and tell the room."""
    content, reasoning = "".join(reply.draft.content), "".join(reply.draft.reasoning) or None
    message = Message(id=reply.message_id, chat_id=reply.chat_id, content=content, reasoning=reasoning,
                      status=outcome.status, error=outcome.error, attachments=[], tool_calls=[])
    report = dict(reply.report)
    if reply.picture is not None:
        attach_picture(message, reply.model, reply.picture, report)
    usage = reply.usage
    if usage is None and (content or reasoning):
        usage = Usage(input_tokens=report.get("estimated_tokens", 0),
                      output_tokens=estimate_tokens(content) + estimate_tokens(reasoning or ""))
        report["usage_estimated"] = True
    if reply.tool_loop is not None:
        message.tool_calls = [ToolCall(
            tool_call_id=record.id[:120], name=record.name[:120], arguments=record.arguments, round=record.round,
            status="error" if record.status == "running" else record.status, result=record.result,
            duration_ms=record.duration_ms, server=record.server) for record in reply.tool_loop.records]
        report["tool_rounds"] = reply.round
        attach_tool_pictures(message, reply.tool_loop.records)
    if usage is not None:
        message.input_tokens, message.cached_tokens = usage.input_tokens, usage.cached_tokens
        message.output_tokens, message.reasoning_tokens = usage.output_tokens, usage.reasoning_tokens
        if message.cost is None and usage.cost is not None:  # the provider's own figure, and we say so
            message.cost = usage.cost
            report["cost_source"] = "provider"
        elif message.cost is None:  # a picture's price is set by attach_picture
            message.cost = reply.model.cost(usage.input_tokens, usage.cached_tokens, usage.output_tokens)
            if message.cost is None:  # nobody states the model's price: tokens kept, cost unknown
                report["cost_source"] = "unpriced"
    message.context_report = report
    message.html = stored_html(message.content)
    stored = while_unreachable(lambda: store.store_finished(message), within=FINISH_WITHIN_SECONDS,
                               log=current_app.logger, what=f"storing reply {message.id}")
    db.session.remove()
    if stored is None:
        return
    public = public_message(stored.message, stored.siblings)
    realtime.emit_to_chat(reply.chat_id, f"message.{outcome.status}", {"message_id": message.id, "message": public})
    if outcome.status == COMPLETED and stored.untitled:
        enqueue_title(reply.chat_id)


def finish_without_stream(message_id: int, outcome: Outcome) -> None:
    message = db.session.get(Message, message_id)
    if message is None:
        return
    message.status = outcome.status
    message.error = outcome.error
    db.session.commit()
    announce.message_event(f"message.{outcome.status}", message)
    db.session.remove()
