"""Branched conversations for tests: a trunk of questions and answers, and alternative
answers (with follow-ups) hanging off its questions, as regenerating would leave them."""
from __future__ import annotations

from app.conversations.rendering import stored_html
from app.extensions import db
from app.models import Chat, Message, User


def _chain(chat: Chat, user: User, parent: Message | None, length: int, label: str) -> list[Message]:
    """``length`` messages after ``parent``, alternating answer and question as the parent asks."""
    made: list[Message] = []
    for i in range(length):
        asks = (parent is None) or parent.role == "assistant"
        content = f"{label} {i} **bold**"
        parent = Message(chat=chat, user=user if asks else None, role="user" if asks else "assistant",
                         content=content, html=stored_html(content), status="completed", parent=parent)
        made.append(parent)
    return made


def grow_branched_chat(chat: Chat, user: User, total: int, branches: int) -> list[Message]:
    """``total`` messages in ``branches`` branches of equal length; the chat shows the newest
    one. Returns the trunk (the first branch)."""
    length = total // branches
    trunk = _chain(chat, user, None, length, "trunk")
    questions = [m for m in trunk if m.role == "user"]
    newest = trunk
    for b in range(1, branches):
        newest = _chain(chat, user, questions[b % len(questions)], length, f"branch{b}")
        db.session.add_all(newest)
    db.session.add_all(trunk)
    db.session.flush()
    chat.leaf_id = newest[-1].id
    db.session.commit()
    return trunk
