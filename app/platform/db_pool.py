"""How many database connections a process keeps (:func:`pool_options`), how pooled
connections are checked before use (only after they sat idle), and the connections on which
a statement commits as it runs (:func:`autocommit_connection`).

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every checkout, a round trip
before each request's and each reply's first query. A connection in steady use has
just answered, so Confab pings only one that has sat in the pool longer than
``DB_PING_AFTER_IDLE_SECONDS`` (a server restart or an idle timeout closes those);
one that fails is discarded and the pool connects afresh, as with ``pool_pre_ping``.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry

from app.extensions import db

RETURNED_AT = "confab.returned_at"
AUTOCOMMIT_ENGINE = "confab.autocommit_engine"
# Its users are few at a time: replies finishing (``FINISHING_AT_ONCE``), one writer of drafts,
# and job threads looking for a chat's next reply.
AUTOCOMMIT_POOL = {"pool_size": 4, "max_overflow": 8}
_creating = threading.Lock()  # job threads finishing together must not each make an engine


def pool_options(database_uri: str, size: int, overflow: int) -> dict:
    """The engine's pool settings: ``size`` connections kept open to PostgreSQL and ``overflow``
    more for a busy moment (opened, used and closed again). SQLite's pools are left as they are."""
    if not database_uri.startswith("postgresql"):
        return {}
    return {"pool_size": size, "max_overflow": overflow}


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection at checkout when it has been back in ``engine``'s pool longer than
    ``idle_seconds``."""

    @sa.event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record: ConnectionPoolEntry) -> None:
        record.info[RETURNED_AT] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record: ConnectionPoolEntry, _proxy) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # new, or back in the pool only a moment ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError(f"a pooled connection failed its ping: {exc}") from exc


@contextmanager
def autocommit_connection() -> Iterator[sa.Connection | None]:
    """On PostgreSQL, a connection on which each statement commits as it runs; None when the
    caller must use the session instead: on SQLite, or while the session has a transaction open
    (a statement on another connection would not see its writes, and would wait for its locks).

    psycopg2 sends a transaction's BEGIN and COMMIT each in a round trip of its own: a write
    of one statement takes three, here one. The connections come from an engine of their
    own, made on first use in each process (``forget_inherited_connections`` drops a forked
    one), so the main pool's never switch isolation level: switching back costs a round trip."""
    if db.session().in_transaction() or db.engine.dialect.name != "postgresql":
        yield None
        return
    engine = current_app.extensions.get(AUTOCOMMIT_ENGINE)
    if engine is None:
        with _creating:
            engine = current_app.extensions.get(AUTOCOMMIT_ENGINE)
            if engine is None:
                engine = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT", **AUTOCOMMIT_POOL)
                ping_after_idle(engine, current_app.config["DB_PING_AFTER_IDLE_SECONDS"])
                current_app.extensions[AUTOCOMMIT_ENGINE] = engine
    with engine.connect() as connection:
        yield connection


def forget_autocommit_engine(app) -> None:
    """In a forked process: drop the inherited autocommit engine without touching its connections."""
    engine = app.extensions.pop(AUTOCOMMIT_ENGINE, None)
    if engine is not None:
        engine.dispose(close=False)


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached (down, restarting, a dropped
    connection), as opposed to a statement it refused."""
    return isinstance(exc, (sa.exc.OperationalError, sa.exc.DisconnectionError)) or (
        isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated)


def while_unreachable(action, *, within: float, log, what: str):
    """``action()``, tried again (after a rollback, every second at most) while the database
    cannot be reached, for up to ``within`` seconds; a PostgreSQL restart is then a pause."""
    deadline, wait = time.monotonic() + within, 0.1
    while True:
        try:
            return action()
        except sa.exc.SQLAlchemyError as exc:
            db.session.rollback()
            db.session.remove()
            if not unreachable(exc) or time.monotonic() + wait > deadline:
                raise
            log.warning("%s: the database is unreachable (%s); trying again in %.1f s",
                        what, type(exc).__name__, wait)
            time.sleep(wait)
            wait = min(wait * 2, 1.0)
