"""Leaving no reply stuck: interrupted streams and forgotten pending replies."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.conversations import announce
from app.conversations.rendering import stored_html
from app.engine import live_state
from app.engine.chat_lock import chat_lock_key
from app.extensions import db
from app.models import Message
from app.models.base import utcnow
from app.models.chats import INTERRUPTED, PENDING, STREAMING
from app.replies.store import question_is_read
from app.platform.queue import enqueue_replies
from app.platform.redis_client import get_redis

INTERRUPTED_ERROR = "The worker answering this stopped before it finished. The text so far is kept."
PENDING_GRACE = timedelta(seconds=30)


@dataclass
class SweepResult:
    interrupted: int = 0
    requeued: int = 0


def sweep() -> SweepResult:
    """Mark streaming replies without a live heartbeat ``interrupted`` (keeping their text),
    and re-queue chats whose pending replies nobody is answering (but for those waiting for
    their documents to be read)."""
    client = get_redis()
    result = SweepResult()
    stale_before = utcnow() - timedelta(seconds=current_app.config["STREAM_HEARTBEAT_TTL"])
    streaming = db.session.execute(
        sa.select(Message).where(Message.status == STREAMING, Message.updated_at < stale_before)
    ).scalars().all()
    for message in streaming:
        if live_state.is_alive(client, message.id):
            continue
        live = live_state.snapshot(message.id)
        content = live["content"] if len(live["content"]) >= len(message.content or "") else message.content
        reasoning = live["reasoning"] or message.reasoning
        changed = db.session.execute(
            sa.update(Message).where(Message.id == message.id, Message.status == STREAMING)
            .values(status=INTERRUPTED, content=content, html=stored_html(content), reasoning=reasoning or None,
                    error=INTERRUPTED_ERROR, updated_at=utcnow())
        ).rowcount
        db.session.commit()
        if changed:
            db.session.refresh(message)
            announce.message_event("message.interrupted", message)
            current_app.logger.warning("reply %s interrupted (no heartbeat)", message.id)
            result.interrupted += 1
    waiting = db.session.execute(
        sa.select(Message.chat_id).where(
            Message.status == PENDING, Message.role == "assistant", Message.created_at < utcnow() - PENDING_GRACE,
            question_is_read(Message.__table__)).distinct()
    ).scalars().all()
    for chat_id in waiting:
        if not client.exists(chat_lock_key(chat_id)):
            enqueue_replies(chat_id)
            result.requeued += 1
    db.session.commit()
    return result
