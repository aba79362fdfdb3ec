"""The text of streaming replies, written to the database in batches (SPEC §4, §11).

Each streaming reply keeps its text in a :class:`Draft`. Every ``STREAM_FLUSH_SECONDS``
one of the process's reply-job threads (they wait while the stream loop reads their
streams; whichever gets there first) writes the drafts that gained at least
``STREAM_FLUSH_CHARS`` characters, or have waited ten intervals, all in one UPDATE: on
PostgreSQL one statement joined to every draft passed as arrays (psycopg2 sends an UPDATE
executed for many rows as one round trip per row: 150 drafts took 100–350 ms at 200
replies), on SQLite, which is in-process, one executed for many rows. So a process writes
at most twice a second however many replies it streams, and each reply's writes are
bounded by time, never by chunk count. Between writes the text is in Redis (``app/engine/live_state.py``),
which is what a joining client and the sweeper read.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db
from app.models import Message
from app.models.base import utcnow
from app.models.chats import STREAMING
from app.platform.db_pool import autocommit_connection, unreachable

log = logging.getLogger(__name__)

_messages = Message.__table__
_store_each = (
    sa.update(_messages)
    .where(_messages.c.id == sa.bindparam("message_id"), _messages.c.status == STREAMING)
    .values(content=sa.bindparam("text"), reasoning=sa.bindparam("thinking"), updated_at=sa.bindparam("written_at"))
)


# PostgreSQL: every draft in one UPDATE, joined to the drafts passed as three arrays (built once).
_drafts = (sa.func.unnest(sa.bindparam("ids", type_=ARRAY(sa.Integer)), sa.bindparam("texts", type_=ARRAY(sa.Text)),
                          sa.bindparam("thinkings", type_=ARRAY(sa.Text)))
           .table_valued(sa.column("message_id", sa.Integer), sa.column("text", sa.Text),
                         sa.column("thinking", sa.Text))
           .render_derived(name="drafts"))
_store_all = (
    sa.update(_messages)
    .where(_messages.c.id == _drafts.c.message_id, _messages.c.status == STREAMING)
    .values(content=_drafts.c.text, reasoning=_drafts.c.thinking,
            updated_at=sa.bindparam("written_at", type_=_messages.c.updated_at.type))
)


def write_drafts(rows: list[dict]) -> None:
    """Write the drafts in ``rows`` (``message_id``, ``text``, ``thinking``) in one statement where
    the database takes one; a message that is no longer streaming keeps what it has."""
    written_at = utcnow()
    if db.session.get_bind().dialect.name == "postgresql":
        with autocommit_connection() as alone:  # with no transaction open: one round trip, not three
            (alone or db.session).execute(_store_all, {"ids": [row["message_id"] for row in rows],
                                                       "texts": [row["text"] for row in rows],
                                                       "thinkings": [row["thinking"] for row in rows],
                                                       "written_at": written_at})
    else:
        db.session.execute(_store_each, [{**row, "written_at": written_at} for row in rows])


@dataclass(eq=False)
class Draft:
    """A streaming reply's text so far; ``chars`` grows as chunks arrive, ``saved_chars`` when written."""

    message_id: int
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    chars: int = 0
    saved_chars: int = 0
    saved_at: float = field(default_factory=time.monotonic)


class DraftWriter:
    """Writes the drafts of every reply streaming in this process, in one statement per round."""

    def __init__(self, every: float, min_chars: int) -> None:
        self._every = every
        self._min_chars = min_chars
        self._drafts: dict[int, Draft] = {}
        self._mutex = threading.Lock()
        self._writing = threading.Lock()
        self._next_round = time.monotonic() + every

    def track(self, draft: Draft) -> None:
        with self._mutex:
            self._drafts[draft.message_id] = draft

    def forget(self, draft: Draft) -> None:
        with self._mutex:
            self._drafts.pop(draft.message_id, None)

    def maybe_write(self) -> None:
        """Called by waiting job threads: cheap unless a round is due, and then only one thread writes."""
        if time.monotonic() < self._next_round or not self._writing.acquire(blocking=False):
            return
        try:
            now = time.monotonic()
            if now < self._next_round:
                return
            self._next_round = now + self._every
            self._write_due(now)
        finally:
            self._writing.release()

    def _write_due(self, now: float) -> None:
        with self._mutex:
            drafts = list(self._drafts.values())
        rows, written = [], []
        stale = 10 * self._every
        for draft in drafts:
            chars = draft.chars
            unsaved = chars - draft.saved_chars
            if unsaved >= self._min_chars or (unsaved and now - draft.saved_at >= stale):
                rows.append({"message_id": draft.message_id, "text": "".join(draft.content),
                             "thinking": "".join(draft.reasoning) or None})
                written.append((draft, chars))
        if not rows:
            return
        try:
            write_drafts(rows)
            db.session.commit()
        except sa.exc.SQLAlchemyError as exc:
            db.session.rollback()
            if not unreachable(exc):
                raise
            log.warning("drafts not written, the database is unreachable (%s): next round", type(exc).__name__)
            return  # the texts are in memory and in Redis; the next round writes them
        finally:
            db.session.remove()
        for draft, chars in written:
            draft.saved_chars, draft.saved_at = chars, now
