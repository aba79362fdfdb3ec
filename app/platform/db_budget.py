"""How many connections Confab's processes may open to PostgreSQL, against what it allows.

Every connection a process opens carries its name (``application_name``, for instance
``confab web host-a:4242 max 64``), so ``pg_stat_activity`` shows which process holds which
connection. When a web or worker process starts (:func:`check`), it adds up the most that each
process it sees there may open (a pool keeps its connections once used, so every process that
has done any work holds one) and its own, and compares the sum with what PostgreSQL allows:
``max_connections`` less the connections reserved for superusers. Past it, a burst may end in
"too many clients" for whichever process asks last; the log says so at start-up, with the
numbers and what to change.
"""
from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.platform.db_pool import AUTOCOMMIT_POOL

PREFIX = "confab"
NAMED = re.compile(rf"^{PREFIX} (\w+) (\S+) max (\d+)$")
HOST_CHARS = 32  # application_name holds 63 bytes

_CLIENTS = sa.text("SELECT application_name, count(*) FROM pg_stat_activity "
                   "WHERE backend_type = 'client backend' GROUP BY application_name")
_ALLOWED = sa.text("SELECT current_setting('max_connections')::int "
                   "- current_setting('superuser_reserved_connections')::int")
_THIS_PROCESS: dict[str, str | int] = {}  # its role and maximum, once its app is built


def process_maximum(config) -> int:
    """The most connections one process may hold: its pool, its overflow, and the autocommit pool's."""
    return (config["DB_POOL_SIZE"] + config["DB_POOL_OVERFLOW"]
            + AUTOCOMMIT_POOL["pool_size"] + AUTOCOMMIT_POOL["max_overflow"])


def name_this_process(role: str, maximum: int) -> None:
    """Name the PostgreSQL connections this process opens from now on, in every engine."""
    _THIS_PROCESS.update(role=role, maximum=maximum)


def _own_key() -> str:
    return f"{_THIS_PROCESS['role']} {socket.gethostname()[:HOST_CHARS]}:{os.getpid()}"


@sa.event.listens_for(sa.engine.Engine, "do_connect")
def _named(dialect, _record, _cargs, params: dict) -> None:
    """The name is made at connect time, so a forked worker names its own connections."""
    if dialect.name == "postgresql" and _THIS_PROCESS:
        params["application_name"] = f"{PREFIX} {_own_key()} max {_THIS_PROCESS['maximum']}"


@dataclass(frozen=True)
class Budget:
    """What PostgreSQL allows, the most each Confab process it serves may open (by name), and
    how many connections other clients (psql, backups, another application) hold now."""

    allowed: int
    processes: dict[str, int]
    others: int = 0

    @property
    def wanted(self) -> int:
        return sum(self.processes.values()) + self.others

    def describe(self) -> str:
        count = len(self.processes)
        others = f" and other clients hold {self.others}" if self.others else ""
        return (f"{count} Confab process{'es' if count != 1 else ''} may open up to {sum(self.processes.values())} "
                f"database connections{others}; PostgreSQL allows {self.allowed}")


def read_budget(connection: sa.Connection) -> Budget:
    """The budget as PostgreSQL sees it now (every database on the server shares its
    ``max_connections``), with this process counted once."""
    processes, others = {_own_key(): int(_THIS_PROCESS["maximum"])}, 0
    for name, count in connection.execute(_CLIENTS):
        if (matched := NAMED.match(name or "")) is not None:
            processes[f"{matched.group(1)} {matched.group(2)}"] = int(matched.group(3))
        else:
            others += count
    return Budget(connection.execute(_ALLOWED).scalar_one(), processes, others)


def check(app: Flask) -> Budget | None:
    """At a process's start: log how many connections Confab may open against what PostgreSQL
    allows, as a warning when it is more. None on SQLite."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return None
        with db.engine.connect() as connection:
            budget = read_budget(connection)
        db.engine.dispose()  # closed: a process that never works (the worker pool's parent) is not counted
    if budget.wanted > budget.allowed:
        app.logger.warning("%s: a burst may be refused with 'too many clients'. Lower DB_POOL_OVERFLOW "
                           "(or DB_POOL_SIZE), or raise PostgreSQL's max_connections", budget.describe())
    else:
        app.logger.info("%s", budget.describe())
    return budget
