"""How many database connections a process keeps (:func:`pool_options`), and how pooled
connections are checked before use: only after they sat idle.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` at every checkout, a round trip
before each request's and each reply's first query. A connection in steady use has
just answered, so Confab pings only one that has sat in the pool longer than
``DB_PING_AFTER_IDLE_SECONDS`` (a server restart or an idle timeout closes those);
one that fails is discarded and the pool connects afresh, as with ``pool_pre_ping``.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry

RETURNED_AT = "confab.returned_at"


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
