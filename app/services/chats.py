"""Chat workflows: creating, changing and deleting conversations."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import ROLE_OWNER, Account, Attachment, Chat, LlmModel, Membership, Message, User
from app.models.chats import UNFINISHED
from app.services import live_state, registry, storage
from app.validators import has_visible_text, normalised


class ChatError(ValueError):
    """A chat change that cannot be made; the text is for the user."""


def usable_model(model_id: str | None, kind: str = "chat") -> LlmModel:
    """An enabled model of ``kind``, or :class:`ChatError` saying why not."""
    model = db.session.get(LlmModel, model_id) if model_id else None
    if model is None or model.kind != kind:
        raise ChatError("That model is not available. Choose another one.")
    if not model.enabled:
        raise ChatError(f"{model.name} is switched off. Choose another model.")
    return model


def default_model_id(models: list[LlmModel] | None = None) -> str | None:
    """The model file's default chat model if enabled, else the first enabled one."""
    try:
        wanted = registry.defaults(current_app.config["MODELS_FILE"]).get("chat_model")
    except registry.RegistryFileError:
        wanted = None
    if models is None:
        models = registry.enabled_models("chat")
    if any(m.id == wanted for m in models):
        return wanted
    return models[0].id if models else None


def create_chat(account: Account, creator: User, model_id: str | None, title: str | None = None) -> Chat:
    model = usable_model(model_id or default_model_id())
    chat = Chat(account=account, creator=creator, model=model, title=normalised(title)[:200] or None)
    db.session.add(chat)
    return chat


def rename(chat: Chat, title: str) -> None:
    title = normalised(title)
    if not has_visible_text(title):
        raise ChatError("Enter a title.")
    chat.title = title[:200]


def change_model(chat: Chat, model_id: str) -> None:
    chat.model = usable_model(model_id)


def set_instructions(chat: Chat, instructions: str | None) -> None:
    chat.instructions = normalised(instructions) or None


def may_delete(chat: Chat, user: User) -> bool:
    """A chat's creator and its account's owners may delete it (SPEC §4); other members may not."""
    if chat.creator_id == user.id:
        return True
    return db.session.execute(
        sa.select(Membership.id).where(Membership.account_id == chat.account_id, Membership.user_id == user.id,
                                       Membership.role == ROLE_OWNER)
    ).first() is not None


def delete_chat(chat: Chat) -> None:
    """Delete the chat with its messages and their stored files; replies still
    streaming are cancelled so their tokens stop being paid for."""
    unfinished = db.session.execute(
        sa.select(Message.id).where(Message.chat_id == chat.id, Message.status.in_(UNFINISHED))
    ).scalars().all()
    for message_id in unfinished:
        live_state.request_cancel(message_id)
    keys = list(
        db.session.execute(
            sa.select(Attachment.storage_key).join(Attachment.message).where(Message.chat_id == chat.id)
        ).scalars()
    )
    db.session.delete(chat)
    db.session.flush()
    for key in keys:
        storage.remove(key)
