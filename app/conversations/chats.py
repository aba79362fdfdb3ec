"""Chat workflows: creating, changing and deleting conversations."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.catalog import offering, registry
from app.engine import live_state
from app.extensions import db
from app.identity.scoping import visible_to
from app.models import ROLE_OWNER, Account, Attachment, Chat, LlmModel, Membership, Message, User
from app.models.chats import UNFINISHED
from app.platform.validators import has_visible_text, normalised


class ChatError(ValueError):
    """A chat change that cannot be made; the text is for the user."""


def usable_model(model_id: str | None, kind: str = "chat", account: Account | None = None) -> LlmModel:
    """An offered model of ``kind`` (one ``account`` offers, when given), or :class:`ChatError` saying why not."""
    model = db.session.get(LlmModel, model_id) if model_id else None
    if model is None or model.kind != kind:
        raise ChatError("That model is not available. Choose another one.")
    if not model.available:
        raise ChatError(f"{model.provider.label} no longer offers {model.name}. Choose another model.")
    if not model.enabled:
        raise ChatError(f"{model.name} is switched off. Choose another model.")
    if not offering.offers(account, model):
        raise ChatError(f"{account.name} does not offer {model.name}. Choose another model.")
    return model


def default_model_id(account: Account | None = None, models: list[LlmModel] | None = None) -> str | None:
    """The account's default model if it offers it, else the model file's, else the first offered one."""
    try:
        wanted = registry.defaults(current_app.config["MODELS_FILE"]).get("chat_model")
    except registry.RegistryFileError:
        wanted = None
    if models is None:
        models = offering.offered_in(account)
    ids = {m.id for m in models}
    for candidate in (account.default_model_id if account else None, wanted):
        if candidate in ids:
            return candidate
    return models[0].id if models else None


def create_chat(account: Account, creator: User, model_id: str | None, title: str | None = None) -> Chat:
    model = usable_model(model_id or default_model_id(account), account=account)
    chat = Chat(account=account, creator=creator, model=model, title=clean_title(title))
    db.session.add(chat)
    return chat


def clean_title(title: str | None) -> str | None:
    """A new chat's title as stored (None: untitled, named after its first exchange)."""
    return normalised(title)[:200] or None


def rename(chat: Chat, title: str) -> None:
    title = normalised(title)
    if not has_visible_text(title):
        raise ChatError("Enter a title.")
    chat.title = title[:200]


def change_model(chat: Chat, model_id: str) -> None:
    chat.model = usable_model(model_id, account=chat.account)


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


def delete_chat(chat: Chat) -> set[str]:
    """Delete the chat with its messages; replies still streaming are cancelled so their
    tokens stop being paid for. Returns the storage keys of its files: once committed, pass
    them to :func:`storage.remove_unreferenced` (another chat may hold the same file)."""
    unfinished = db.session.execute(
        sa.select(Message.id).where(Message.chat_id == chat.id, Message.status.in_(UNFINISHED))
    ).scalars().all()
    for message_id in unfinished:
        live_state.request_cancel(message_id)
    keys = set(
        db.session.execute(
            sa.select(Attachment.storage_key).join(Attachment.message).where(Message.chat_id == chat.id)
        ).scalars()
    )
    db.session.delete(chat)
    db.session.flush()
    return keys


SIDEBAR_PAGE = 40


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def listed_to(viewer_id: int) -> sa.ColumnElement[bool]:
    """Which chats a member's lists show: every chat with a message, and the viewer's own
    empty ones (a chat reaches everyone else with its first message); never another member's
    private chat."""
    return sa.and_(sa.or_(Chat.leaf_id.is_not(None), Chat.creator_id == viewer_id), visible_to(viewer_id))


def list_chats(account: Account, viewer_id: int, *, search: str = "", after_id: int | None = None,
               limit: int = SIDEBAR_PAGE) -> tuple[list[Chat], int | None]:
    """One page of the account's chats that ``viewer_id`` is shown (:func:`listed_to`), most
    recently active first, for the sidebar.

    ``search`` matches titles (case-insensitively); ``after_id`` continues after that chat.
    Returns the chats and the id to continue after, or None at the end.
    """
    query = sa.select(Chat).where(Chat.account_id == account.id, listed_to(viewer_id))
    search = normalised(search)[:200]
    if search:
        query = query.where(Chat.title.ilike(like_pattern(search), escape="\\"))
    if after_id is not None:
        anchor = db.session.execute(
            sa.select(Chat.updated_at).where(Chat.id == after_id, Chat.account_id == account.id)
        ).scalar_one_or_none()
        if anchor is None:
            return [], None
        query = query.where(sa.or_(Chat.updated_at < anchor, sa.and_(Chat.updated_at == anchor, Chat.id < after_id)))
    chats = list(db.session.execute(
        query.order_by(Chat.updated_at.desc(), Chat.id.desc()).limit(limit + 1)
    ).scalars())
    more = len(chats) > limit
    chats = chats[:limit]
    return chats, (chats[-1].id if more else None)
