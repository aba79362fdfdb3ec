"""Conversations: chats, their messages, tool calls and attachments."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Money, TimestampMixin, as_utc

if TYPE_CHECKING:
    from app.models.accounts import Account, User
    from app.models.registry import LlmModel

PENDING, STREAMING, COMPLETED, FAILED, CANCELLED, INTERRUPTED = (
    "pending", "streaming", "completed", "failed", "cancelled", "interrupted",
)
UNFINISHED = (PENDING, STREAMING)
# How far an attached document has been read (``Attachment.read_state``).
READING, READ, PARTLY_READ, UNREADABLE = "reading", "read", "partial", "unreadable"


class Chat(TimestampMixin, db.Model):
    __tablename__ = "chats"
    __table_args__ = (
        sa.Index("ix_chats_account_id_updated_at", "account_id", "updated_at"),
        {"sqlite_autoincrement": True},  # ids are never reused: live state in Redis is keyed by them
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    creator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    model_id: Mapped[str] = mapped_column(sa.ForeignKey("llm_models.id"))
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    # The last message of the path everyone in the chat is shown (see Message.parent_id).
    leaf_id: Mapped[int | None] = mapped_column()
    # Private: its creator's alone (no other member sees it, not even an owner) until shared.
    private: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Tool groups the chat's members turned off: "builtin" (Confab's own) and MCP server keys.
    tools_off: Mapped[list[str] | None] = mapped_column(sa.JSON)

    account: Mapped[Account] = relationship()
    creator: Mapped[User | None] = relationship()
    model: Mapped[LlmModel] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="chat", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Message.id",
    )

    @property
    def display_title(self) -> str:
        return self.title or "New chat"

    def to_public(self) -> dict:
        """The chat as the JSON API and exports describe it."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "title": self.title,
            "display_title": self.display_title,
            "model_id": self.model_id,
            "instructions": self.instructions,
            "creator": self.creator.to_public() if self.creator else None,
            "leaf_id": self.leaf_id,
            "private": self.private,
            "created_at": as_utc(self.created_at).isoformat(),
            "updated_at": as_utc(self.updated_at).isoformat(),
        }


class Message(TimestampMixin, db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_chat_id_created_at", "chat_id", "created_at"),
        {"sqlite_autoincrement": True},  # ids are never reused: live state in Redis is keyed by them
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(sa.ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(sa.String(16))
    content: Mapped[str] = mapped_column(sa.Text, default="")
    # The content's sanitised HTML, rendered once when the message is finished
    # (``app/conversations/rendering.py`` ``stored_html``); pages, the API and exports serve it.
    html: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=COMPLETED)
    error: Mapped[str | None] = mapped_column(sa.Text)
    reasoning: Mapped[str | None] = mapped_column(sa.Text)
    model_id: Mapped[str | None] = mapped_column(sa.String(120))
    input_tokens: Mapped[int | None] = mapped_column()
    cached_tokens: Mapped[int | None] = mapped_column()
    output_tokens: Mapped[int | None] = mapped_column()
    reasoning_tokens: Mapped[int | None] = mapped_column()
    cost: Mapped[Decimal | None] = mapped_column(Money)
    tool_call_id: Mapped[str | None] = mapped_column(sa.String(120))
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    # A chat is a tree: each message follows its parent (a reply the question it answers, a
    # question the message before it). Regenerated replies and edited questions are siblings.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    context_report: Mapped[dict | None] = mapped_column(sa.JSON)

    chat: Mapped[Chat] = relationship(back_populates="messages")
    user: Mapped[User | None] = relationship(lazy="joined")
    reply_to: Mapped[Message | None] = relationship(remote_side=[id], foreign_keys=[reply_to_id], lazy="raise")
    parent: Mapped[Message | None] = relationship(remote_side=[id], foreign_keys=[parent_id], lazy="raise")
    tool_calls: Mapped[list[ToolCall]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="ToolCall.id",
        lazy="selectin",
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id",
        lazy="selectin",
    )

    @property
    def is_unfinished(self) -> bool:
        return self.status in UNFINISHED

    @staticmethod
    def path_ids(leaf_id: int) -> sa.Select:
        """The ids from the root of the tree down to ``leaf_id`` (one recursive query)."""
        path = sa.select(Message.id, Message.parent_id).where(Message.id == leaf_id).cte("path", recursive=True)
        path = path.union_all(sa.select(Message.id, Message.parent_id).join(path, Message.id == path.c.parent_id))
        return sa.select(path.c.id)

    @staticmethod
    def subtree_ids(root_id: int) -> sa.Select:
        """The ids of ``root_id`` and everything that follows it in the tree (one recursive query)."""
        tree = sa.select(Message.id).where(Message.id == root_id).cte("subtree", recursive=True)
        tree = tree.union_all(sa.select(Message.id).join(tree, Message.parent_id == tree.c.id))
        return sa.select(tree.c.id)

    def to_public(self, html: str | None = None, siblings: list[int] | None = None) -> dict:
        """MESSAGE of SPEC §5; ``html`` is the sanitised rendering, given once completed;
        ``siblings`` the ids of this turn's versions, in order, when the caller knows them."""
        data = {
            "id": self.id,
            "chat_id": self.chat_id,
            "role": self.role,
            "status": self.status,
            "content": self.content or "",
            "reasoning": self.reasoning or "",
            "user": self.user.to_public() if self.user else None,
            "model_id": self.model_id,
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost": None if self.cost is None else float(self.cost),
            "error": self.error,
            "attachments": [a.to_public() for a in self.attachments],
            "tool_calls": [t.to_public() for t in self.tool_calls],
            "context": self.context_report,
            "reply_to_id": self.reply_to_id,
            "parent_id": self.parent_id,
            "created_at": as_utc(self.created_at).isoformat(),
        }
        if html is not None:
            data["html"] = html
        if siblings is not None:
            data["siblings"] = siblings
            data["sibling_index"] = siblings.index(self.id) + 1 if self.id in siblings else None
        return data


class ToolCall(TimestampMixin, db.Model):
    __tablename__ = "tool_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    tool_call_id: Mapped[str] = mapped_column(sa.String(120))  # the provider's id
    name: Mapped[str] = mapped_column(sa.String(120))
    # The parsed JSON arguments, or the text as sent when it was not JSON.
    arguments: Mapped[dict | list | str | None] = mapped_column(sa.JSON)
    # Which model call of the reply asked for it (1, 2, …), and how it went: ``ok`` with the
    # tool's result, or ``error`` with the error the model was sent instead.
    round: Mapped[int] = mapped_column(default=1, server_default="1")
    status: Mapped[str] = mapped_column(sa.String(16), default="ok", server_default="ok")
    result: Mapped[str | None] = mapped_column(sa.Text)
    duration_ms: Mapped[int | None] = mapped_column()
    server: Mapped[str | None] = mapped_column(sa.String(120))  # the MCP server's name; None: Confab's own

    message: Mapped[Message] = relationship(back_populates="tool_calls")

    def to_public(self) -> dict:
        return {"id": self.tool_call_id, "name": self.name, "arguments": self.arguments, "round": self.round,
                "status": self.status, "result": self.result, "duration_ms": self.duration_ms,
                "server": self.server}


class Attachment(TimestampMixin, db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    byte_size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(255), index=True)
    # PDFs: the text pypdf found (None for a scan without any) and the page count, read by a
    # job after the upload (``app/files/reading.py``): ``read_state`` is READING until then,
    # and ``read_note`` says what a partial or failed read left out. None for other files.
    extracted_text: Mapped[str | None] = mapped_column(sa.Text)
    page_count: Mapped[int | None] = mapped_column()
    read_state: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    read_note: Mapped[str | None] = mapped_column(sa.Text)

    message: Mapped[Message] = relationship(back_populates="attachments")

    def to_public(self) -> dict:
        return {
            "id": self.id,
            "filename": self.filename,
            "content_type": self.content_type,
            "byte_size": self.byte_size,
            "kind": self.kind,
            "url": f"/attachments/{self.id}",
            "read_state": self.read_state,
            "read_note": self.read_note,
            "page_count": self.page_count,
        }

    @property
    def kind(self) -> str:
        """``image``, ``audio``, ``pdf`` or ``text``."""
        if self.content_type.startswith("image/"):
            return "image"
        if self.content_type.startswith("audio/"):
            return "audio"
        return "pdf" if self.content_type == "application/pdf" else "text"


