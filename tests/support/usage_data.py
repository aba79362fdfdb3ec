"""Seeding a lot of spend fast (bulk inserts), for the usage query-count test and its benchmark."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa

from app.models import Chat, Membership, Message, User

MODELS = ("demo-chat", "demo-fast")


def seed_spend(engine: sa.Engine, account_id: int, replies: int, days: int, members: int = 8, chats: int = 50) -> None:
    """``replies`` question-and-answer pairs (2 × ``replies`` messages) over the last ``days``
    days, spread over ``members`` members, ``chats`` chats and two models."""
    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        first_user = conn.execute(sa.select(sa.func.coalesce(sa.func.max(User.id), 0))).scalar_one() + 1
        conn.execute(sa.insert(User.__table__), [
            {"id": first_user + i, "email": f"member{i}@seed.example", "name": f"Member {i}", "password_hash": "x",
             "created_at": now, "updated_at": now} for i in range(members)])
        conn.execute(sa.insert(Membership.__table__), [
            {"account_id": account_id, "user_id": first_user + i, "role": "member", "created_at": now, "updated_at": now}
            for i in range(members)])
        first_chat = conn.execute(sa.select(sa.func.coalesce(sa.func.max(Chat.id), 0))).scalar_one() + 1
        conn.execute(sa.insert(Chat.__table__), [
            {"id": first_chat + i, "account_id": account_id, "model_id": MODELS[0], "title": f"Seeded {i}",
             "created_at": now, "updated_at": now} for i in range(chats)])
        next_id = conn.execute(sa.select(sa.func.coalesce(sa.func.max(Message.id), 0))).scalar_one() + 1
        rows = []
        for i in range(replies):
            when = now - timedelta(days=rng.randrange(days), seconds=rng.randrange(86_400))
            question, answer = next_id + 2 * i, next_id + 2 * i + 1
            common = {"chat_id": first_chat + i % chats, "created_at": when, "updated_at": when, "status": "completed"}
            rows.append({**common, "id": question, "role": "user", "content": "q", "user_id": first_user + i % members,
                         "model_id": None, "reply_to_id": None, "input_tokens": None, "cached_tokens": None,
                         "output_tokens": None, "reasoning_tokens": None, "cost": None})
            rows.append({**common, "id": answer, "role": "assistant", "content": "a", "user_id": None,
                         "model_id": MODELS[i % 2], "reply_to_id": question, "input_tokens": 100 + i % 50,
                         "cached_tokens": 10, "output_tokens": 40 + i % 30, "reasoning_tokens": 0,
                         "cost": Decimal("0.00003") * (1 + i % 7)})
        for start in range(0, len(rows), 10_000):
            conn.execute(sa.insert(Message.__table__), rows[start:start + 10_000])
