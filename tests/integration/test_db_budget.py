"""The database connection budget (app/platform/db_budget.py): every Confab connection names its
process in PostgreSQL, and a process starting past what PostgreSQL allows says so, with the numbers."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.support.processes import ROOT

NAMED = re.compile(r"^confab (\w+) (\S+):(\d+) max (\d+)$")
CHECK = "from app import create_app; from app.platform import db_budget; db_budget.check(create_app(role='web'))"


@pytest.fixture
def postgresql(stack) -> sa.Connection:
    if not stack.database_url.startswith("postgresql"):
        pytest.skip("the budget is PostgreSQL's max_connections; SQLite has none")
    with stack.database() as connection:
        yield connection


def named_processes(connection: sa.Connection) -> dict[tuple[str, int], int]:
    """(role, pid) → the most that process says it may open, from the server's connections now (a
    flask command's, or this test process's own app's, count too)."""
    names = connection.execute(sa.text("SELECT application_name FROM pg_stat_activity")).scalars()
    return {(m.group(1), int(m.group(3))): int(m.group(4)) for name in names if (m := NAMED.match(name or ""))}


def test_every_confab_process_names_its_connections(ann, chat_id, stack, postgresql):
    reply = ann.say(chat_id, "Name your connections [[chunks:3]]")["assistant_message"]
    assert ann.finished(chat_id, reply["id"])["status"] == "completed"
    processes = named_processes(postgresql)
    named_web = {pid for role, pid in processes if role == "web"}
    assert stack.web_servers[0].pid in named_web  # the one Ann posted through
    assert named_web <= {process.pid for process in stack.web_servers}
    assert any(role == "worker" for role, _ in processes)  # the forked worker's own pid, not its parent's
    stack_maxima = {most for (role, _), most in processes.items() if role in ("web", "worker")}
    assert stack_maxima == {16 + 16 + 4 + 8}  # DB_POOL_SIZE + DB_POOL_OVERFLOW + the autocommit pool


def run_check(stack, **settings: str) -> str:
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env={**os.environ, **stack.env(), **settings},
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stderr


def test_a_process_starting_past_what_postgresql_allows_warns_with_the_numbers(stack, postgresql):
    allowed = postgresql.execute(sa.text("SELECT current_setting('max_connections')::int "
                                         "- current_setting('superuser_reserved_connections')::int")).scalar_one()
    stack_processes = sum(named_processes(postgresql).values())
    past = run_check(stack, DB_POOL_OVERFLOW=str(allowed))
    wanted = stack_processes + 16 + allowed + 4 + 8
    assert re.search(rf"WARNING .*Confab processes may open up to {wanted} database connections.*; PostgreSQL allows "
                     rf"{allowed}: a burst may be refused with 'too many clients'\. Lower DB_POOL_OVERFLOW", past)
