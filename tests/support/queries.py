"""Counting the SQL statements a piece of code runs."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import sqlalchemy as sa

from app.extensions import db


class Execution(NamedTuple):
    statement: str
    parameters: object
    many: bool  # executed once per row of parameters (the DB-API's executemany)


@contextmanager
def _listening(record: Callable) -> Iterator[None]:
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def recorded_executions() -> Iterator[list[Execution]]:
    """Every statement run inside the block, in order, with its parameters."""
    executions: list[Execution] = []
    with _listening(lambda _conn, _cursor, statement, parameters, _context, many:
                    executions.append(Execution(statement, parameters, many))):
        yield executions


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The SQL of every statement run inside the block, in order."""
    statements: list[str] = []
    with _listening(lambda _conn, _cursor, statement, *_: statements.append(statement)):
        yield statements
