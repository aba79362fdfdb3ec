"""Posting a user message and cancelling a reply (SPEC §4)."""
from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.catalog import registry
from app.conversations.chats import ChatError, usable_model
from app.conversations.rendering import as_written
from app.costs import usage
from app.engine import live_state
from app.extensions import db
from app.files import storage, uploads
from app.models import Attachment, Chat, LlmModel, Message, User
from app.models.base import utcnow
from app.models.chats import CANCELLED, COMPLETED, PENDING, READING, STREAMING
from app.platform.validators import has_visible_text

_messages = Message.__table__
_chats = Chat.__table__
_INSERT_MESSAGE = sa.insert(_messages).returning(*_messages.c)
_MOVE_LEAF = (sa.update(_chats).where(_chats.c.id == sa.bindparam("chat"))
              .values(leaf_id=sa.bindparam("leaf"), updated_at=sa.bindparam("now", type_=_chats.c.updated_at.type)))


class PostError(ValueError):
    """A message that cannot be posted; the text is for the user."""


def check_budget(chat: Chat, user: User) -> None:
    """Refuse a post, before any model call, once the account or this member has spent a
    monthly limit; the message says which limit, how much was spent and when it resets."""
    refuse_past(usage.budgets(chat.account, user, utcnow().date()))


def refuse_past(budgets: list[usage.Budget]) -> None:
    for budget in budgets:
        if budget.exhausted:
            raise PostError(budget.refusal())


def send_blocked_reason(chat: Chat, user: User, budgets: list[usage.Budget] | None = None) -> str | None:
    """Why a member cannot post in ``chat`` right now (the composer says so), or None;
    ``budgets`` when the caller has already read them."""
    try:
        if budgets is None:
            answering_model(chat, user)
        else:
            usable_model(chat.model_id, account=chat.account)
            refuse_past(budgets)
    except (ChatError, PostError) as exc:
        return str(exc)
    return None


def clean_content(content: str | None, *, with_files: bool = False) -> str:
    """A message's text as stored (NFC, no NUL), or :class:`PostError` saying what is wrong
    (a message with files may have no text)."""
    content = unicodedata.normalize("NFC", (content or "").replace("\x00", ""))
    if not has_visible_text(content):
        if with_files:
            return ""
        raise PostError("Write a message first.")
    limit = current_app.config["MAX_MESSAGE_CHARS"]
    if len(content) > limit:
        raise PostError(f"That message is {len(content):,} characters; the limit is {limit:,}.")
    return content


def answering_model(chat: Chat, user: User, model_id: str | None = None) -> LlmModel:
    """The model that will answer ``user`` now, once the model and the budgets allow it."""
    try:
        model = usable_model(model_id or chat.model_id, account=chat.account)
    except ChatError as exc:
        raise PostError(str(exc)) from exc
    check_budget(chat, user)
    return model


def _as_session_message(row: sa.RowMapping, author: User | None) -> Message:
    """A message row just inserted, as a session object with no files or tool calls yet,
    without the ORM's flush (posting is the web process's busiest path)."""
    message = Message(**row, user=author, attachments=[], tool_calls=[])
    make_transient_to_detached(message)
    db.session.add(message)
    return message


def _new_message(author: User | None, **values) -> Message:
    now = utcnow()
    row = db.session.connection().execute(
        _INSERT_MESSAGE, {"content": "", "created_at": now, "updated_at": now, **values}).mappings().one()
    return _as_session_message(row, author)


def _ask_in_one_statement() -> sa.CompoundSelect:
    """The question, its pending reply and the chat's new leaf in one PostgreSQL statement
    (data-modifying CTEs): one round trip where SQLite, which has none, takes three."""
    def param(name: str, column: str) -> sa.BindParameter:
        return sa.bindparam(name, type_=_messages.c[column].type)

    asked = (sa.insert(_messages)
             .values(chat_id=param("chat", "chat_id"), user_id=param("user", "user_id"), role="user",
                     content=param("content", "content"), html=param("html", "html"), status=COMPLETED,
                     parent_id=param("parent", "parent_id"),
                     created_at=param("now", "created_at"), updated_at=param("now", "updated_at"))
             .returning(*_messages.c).cte("asked"))
    reply_columns = ["chat_id", "role", "content", "status", "model_id", "reply_to_id", "parent_id",
                     "created_at", "updated_at"]
    reply = (sa.insert(_messages)
             .from_select(reply_columns, sa.select(
                 asked.c.chat_id, sa.literal("assistant"), sa.literal(""), sa.literal(PENDING),
                 param("model", "model_id"), asked.c.id, asked.c.id, asked.c.created_at, asked.c.updated_at))
             .returning(*_messages.c).cte("reply"))
    leaf = (sa.update(_chats).where(_chats.c.id == sa.bindparam("chat"))
            .values(leaf_id=sa.select(reply.c.id).scalar_subquery(), updated_at=sa.bindparam("now"))
            .cte("leaf"))
    return sa.union_all(sa.select(asked), sa.select(reply)).add_cte(leaf)


_ASK = _ask_in_one_statement()


def ask(chat: Chat, user: User, content: str, parent_id: int | None, model: LlmModel) -> tuple[Message, Message]:
    """A user message after ``parent_id`` and its pending reply, which become the shown path's end."""
    now = utcnow()
    html = as_written(content)  # a person's text is shown as typed: no Markdown, no waiting
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(_ASK, {"chat": chat.id, "user": user.id, "content": content, "html": html,
                                         "parent": parent_id, "model": model.id, "now": now}).mappings().all()
        by_role = {row["role"]: row for row in rows}
        user_message = _as_session_message(by_role["user"], user)
        reply = _as_session_message(by_role["assistant"], None)
    else:
        user_message = _new_message(user, chat_id=chat.id, user_id=user.id, role="user", content=content,
                                    html=html, status=COMPLETED, parent_id=parent_id)
        reply = _new_message(None, chat_id=chat.id, role="assistant", content="", status=PENDING, model_id=model.id,
                             reply_to_id=user_message.id, parent_id=user_message.id)
        connection.execute(_MOVE_LEAF, {"chat": chat.id, "leaf": reply.id, "now": now})
    set_committed_value(chat, "leaf_id", reply.id)
    set_committed_value(chat, "updated_at", now)
    return user_message, reply


def post_user_message(chat: Chat, user: User, content: str,
                      files: list[uploads.Upload] | None = None) -> tuple[Message, Message]:
    """Store the user's message (and its checked ``files``) at the end of the shown path, and
    an empty pending reply.

    ``chat`` must have been loaded ``FOR UPDATE`` so concurrent posts into one
    chat are stored one pair after another.
    """
    files = files or []
    content = clean_content(content, with_files=bool(files))
    model = answering_model(chat, user)
    try:
        uploads.refuse_what_the_model_cannot_take(files, model)
    except uploads.UploadError as exc:
        raise PostError(str(exc)) from exc
    user_message, reply = ask(chat, user, content, chat.leaf_id, model)
    for upload in files:
        user_message.attachments.append(store_attachment(upload))
    if files:
        db.session.flush()
    return user_message, reply


IMAGE_COMMAND = "/image"


def is_image_request(content: str | None, image_mode: bool = False) -> bool:
    """The composer's picture toggle, or a message that starts with ``/image``."""
    text = (content or "").lstrip()
    return image_mode or text == IMAGE_COMMAND or text.startswith(IMAGE_COMMAND + " ") \
        or text.startswith(IMAGE_COMMAND + "\n")


def image_prompt(content: str) -> str:
    text = content.lstrip()
    return text[len(IMAGE_COMMAND):].strip() if text.startswith(IMAGE_COMMAND) else text.strip()


def image_model() -> LlmModel:
    """The model file's default image model if enabled, else the first enabled one."""
    try:
        wanted = registry.defaults(current_app.config["MODELS_FILE"]).get("image_model")
    except registry.RegistryFileError:
        wanted = None
    for candidate in [wanted, *(m.id for m in registry.offered_models("image"))]:
        try:
            return usable_model(candidate, kind="image")
        except ChatError:
            continue
    raise PostError("No image model is switched on. An administrator can add one to the model file.")


def drawing_model(chat: Chat, user: User) -> LlmModel:
    """The image model that will draw for ``user`` now, once the budgets allow it."""
    model = image_model()
    check_budget(chat, user)
    return model


def picture_request_text(content: str) -> str:
    """A picture request as stored, ``/image <description>``; :class:`PostError` if empty."""
    try:
        prompt = clean_content(image_prompt(content or ""))
    except PostError as exc:
        raise PostError("Describe the picture first, after /image." if "first" in str(exc) else str(exc)) from exc
    return f"{IMAGE_COMMAND} {prompt}"


def post_image_request(chat: Chat, user: User, content: str, has_files: bool = False) -> tuple[Message, Message]:
    """Ask the image model for a picture: the request (stored as ``/image <prompt>``) and a
    pending reply the image job answers with the picture as an attachment."""
    if has_files:
        raise PostError("Pictures are drawn from a description. Send files in an ordinary message.")
    text = picture_request_text(content)
    return ask(chat, user, text, chat.leaf_id, drawing_model(chat, user))


def store_attachment(upload: uploads.Upload) -> Attachment:
    """The file in storage (written before the row is committed) and its row; a PDF is
    ``reading`` until the reading job has read it."""
    key = storage.save(upload.data)
    return Attachment(filename=upload.filename, content_type=upload.content_type, byte_size=len(upload.data),
                      sha256=key, storage_key=key, read_state=READING if upload.kind == "pdf" else None)


def cancel_reply(message: Message) -> bool:
    """Stop a pending or streaming reply. Returns True when a cancel was requested.

    A pending reply is cancelled here and now; a streaming one is flagged, and
    the process streaming it closes the upstream connection and stores what it
    has.
    """
    if message.role != "assistant" or message.status not in (PENDING, STREAMING):
        return False
    live_state.request_cancel(message.id)
    if message.status == PENDING:
        changed = db.session.execute(
            sa.update(Message)
            .where(Message.id == message.id, Message.status == PENDING)
            .values(status=CANCELLED, updated_at=utcnow())
        ).rowcount
        db.session.commit()
        db.session.refresh(message)
        return bool(changed) or message.status == CANCELLED
    return True
