"""Extension singletons, initialised in :func:`app.create_app`."""
from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for Alembic."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()
talisman = Talisman()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_settings(dbapi_connection, _record) -> None:
    """SQLite ignores ON DELETE CASCADE unless told otherwise, per connection. A database file
    is kept in write-ahead-log mode: the web process and the workers share it, and in SQLite's
    default mode a reader waits while another process commits. In the web process such a wait
    holds up every request and socket (one eventlet hub): the availability test saw streams stall
    for up to 1.9 s and pages for 400 ms while an attacker's posts and PDFs were stored."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
            cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable at each checkpoint, never corrupt
        cursor.close()
