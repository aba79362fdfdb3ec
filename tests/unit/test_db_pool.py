"""Pooled connections are pinged before use only after sitting idle (``app/platform/db_pool.py``)."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.platform.db_pool import ping_after_idle, pool_options


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'pool.db'}", poolclass=sa.pool.QueuePool, pool_size=1)
    yield engine
    engine.dispose()


def _break_pooled_connection(engine) -> None:
    """Close the DBAPI connection waiting in the pool, as a database restart would."""
    with engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.close()


def test_a_connection_that_sat_idle_is_pinged_and_replaced_when_dead(engine):
    ping_after_idle(engine, idle_seconds=0)
    _break_pooled_connection(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT 41 + 1")).scalar() == 42


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(engine):
    ping_after_idle(engine, idle_seconds=60)
    _break_pooled_connection(engine)
    with engine.connect() as connection, pytest.raises(sa.exc.ProgrammingError) as failed:
        connection.execute(sa.text("SELECT 1"))
    assert isinstance(failed.value.orig, sqlite3.ProgrammingError)


def test_a_new_connection_is_not_pinged(engine):
    ping_after_idle(engine, idle_seconds=0)
    pinged = []
    sa.event.listen(engine, "connect", lambda dbapi_connection, record: dbapi_connection.set_trace_callback(pinged.append))
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 2"))
    assert pinged == ["SELECT 2"]


def test_a_process_keeps_enough_postgresql_connections_open_for_a_busy_moment():
    """SQLAlchemy's default pool of 5 closed and reopened connections all through 200 posts."""
    assert pool_options("postgresql+psycopg2://db/confab", 16, 32) == {"pool_size": 16, "max_overflow": 32}
    assert pool_options("sqlite:///confab.db", 16, 32) == {}


def test_the_app_builds_its_postgresql_engine_with_the_configured_pool():
    class PostgresConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://nobody@127.0.0.1:1/never_connected"
        DB_POOL_SIZE, DB_POOL_OVERFLOW = 12, 7

    app = create_app(PostgresConfig)
    with app.app_context():
        pool = db.engine.pool  # built without connecting
        assert isinstance(pool, sa.pool.QueuePool)
        assert (pool.size(), pool._max_overflow) == (12, 7)
