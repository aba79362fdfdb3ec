"""Naming a chat after its first exchange; failure leaves the title empty and is only logged."""
from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from flask import current_app

from app import realtime
from app.catalog import registry
from app.extensions import db
from app.llm.completion import complete
from app.llm.errors import LlmError
from app.models import Chat, LlmModel, Message
from app.models.chats import COMPLETED

PROMPT = ("Write a title of at most six words for this conversation. "
          "Answer with the title only, no quotes and no punctuation at the end.")
MAX_WORDS = 6


def clean_title(text: str) -> str | None:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(title:\s*)", "", line.strip(), flags=re.I).strip(" \"'`*#.")
    words = line.split()[:MAX_WORDS]
    return " ".join(words)[:200] or None


def _title_model(chat: Chat) -> LlmModel | None:
    try:
        wanted = registry.defaults(current_app.config["MODELS_FILE"]).get("title_model")
    except registry.RegistryFileError:
        wanted = None
    for candidate in (wanted, chat.model_id):
        model = db.session.get(LlmModel, candidate) if candidate else None
        if model is not None and model.offered and model.kind == "chat":
            return model
    return None


def generate_title(chat_id: int, log: logging.LoggerAdapter | logging.Logger) -> str | None:
    chat = db.session.get(Chat, chat_id)
    if chat is None or chat.title:
        return None
    first = list(db.session.execute(
        sa.select(Message).where(Message.chat_id == chat_id, Message.status == COMPLETED,
                                 Message.role.in_(("user", "assistant"))).order_by(Message.id).limit(2)
    ).scalars())
    model = _title_model(chat)
    if model is None or not first:
        return None
    exchange = "\n\n".join(f"{m.role}: {m.content[:2000]}" for m in first)
    db.session.commit()
    try:
        title = clean_title(complete(model, [{"role": "system", "content": PROMPT}, {"role": "user", "content": exchange}]))
    except LlmError as exc:
        log.warning("title for chat %s failed: %s", chat_id, exc)
        return None
    if not title:
        return None
    updated = db.session.execute(
        sa.update(Chat).where(Chat.id == chat_id, Chat.title.is_(None)).values(title=title)
    ).rowcount
    db.session.commit()
    if updated:
        realtime.chat_updated_event(db.session.get(Chat, chat_id))
        log.info("chat %s titled %r", chat_id, title)
    return title if updated else None
