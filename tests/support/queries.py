"""Counting the SQL statements a piece of code runs."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import sqlalchemy as sa


class Execution(NamedTuple):
    statement: str
    parameters: object
    many: bool  # executed once per row of parameters (the DB-API's executemany)
    autocommit: bool  # committed as it ran, in a round trip of its own (``app/platform/db_pool.py``)


@contextmanager
def _listening(record: Callable) -> Iterator[None]:
    """``record`` every statement of every engine (the app's, and its autocommit one)."""
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


@contextmanager
def recorded_executions() -> Iterator[list[Execution]]:
    """Every statement run inside the block, in order, with its parameters."""
    executions: list[Execution] = []

    def record(conn, _cursor, statement, parameters, _context, many) -> None:
        autocommit = getattr(conn.connection.dbapi_connection, "autocommit", None) is True
        executions.append(Execution(statement, parameters, many, autocommit))

    with _listening(record):
        yield executions


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The SQL of every statement run inside the block, in order."""
    statements: list[str] = []
    with _listening(lambda _conn, _cursor, statement, *_: statements.append(statement)):
        yield statements
