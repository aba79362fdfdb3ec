"""The migrations upgrade cleanly and match the models, on SQLite and PostgreSQL, and turn
existing chats into single paths of the message tree."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


def _flask(args: list[str], database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FLASK_APP": "app:create_app", "DATABASE_URL": database_url,
           "CONFAB_INSTANCE_DIR": str(tmp_path), "REDIS_URL": "fakeredis://"}
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


NOW = "2026-11-01 10:00:00"
SEED = [
    "INSERT INTO accounts (id, name, created_at, updated_at) VALUES (1, 'Team', :now, :now)",
    "INSERT INTO llm_providers (id, key, base_url, created_at, updated_at) VALUES (1, 'demo', 'http://x', :now, :now)",
    "INSERT INTO llm_models (id, provider_id, name, kind, context_window, max_output_tokens, input_price, output_price,"
    " capabilities, enabled, created_at, updated_at) VALUES ('m', 1, 'M', 'chat', 100, 10, 0, 0, '[]', true, :now, :now)",
    "INSERT INTO chats (id, account_id, model_id, created_at, updated_at) VALUES (1, 1, 'm', :now, :now), (2, 1, 'm', :now, :now),"
    " (3, 1, 'm', :now, :now)",
    "INSERT INTO messages (id, chat_id, role, content, status, created_at, updated_at) VALUES"
    " (1, 1, 'user', 'q1', 'completed', :now, :now), (2, 2, 'user', 'a **bold** one', 'completed', :now, :now),"
    " (3, 1, 'assistant', 'a1', 'completed', :now, :now), (4, 1, 'user', 'q2', 'completed', :now, :now),"
    " (5, 1, 'assistant', 'a2', 'failed', :now, :now)",
]


def _seed_old_chats(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.begin() as conn:
        for statement in SEED:
            conn.execute(sa.text(statement), {"now": NOW})
    engine.dispose()


def _tree_of(url: str) -> tuple[dict, dict]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        parents = dict(conn.execute(sa.text("SELECT id, parent_id FROM messages")).all())
        leaves = dict(conn.execute(sa.text("SELECT id, leaf_id FROM chats")).all())
    engine.dispose()
    return parents, leaves


def _html_of(url: str) -> dict:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        html = dict(conn.execute(sa.text("SELECT id, html FROM messages")).all())
    engine.dispose()
    return html


def _upgrade_and_check(url: str, tmp_path: Path) -> None:
    before_tree = _flask(["db", "upgrade", "0002_user_sessions"], url, tmp_path)
    assert before_tree.returncode == 0, before_tree.stderr
    _seed_old_chats(url)
    upgrade = _flask(["db", "upgrade"], url, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    # Each existing chat became one path: every message follows the one before it.
    assert _tree_of(url) == ({1: None, 2: None, 3: 1, 4: 3, 5: 4}, {1: 5, 2: 2, 3: None})
    # Every finished message was rendered once, by the migrations: no page renders it again. A
    # person's own message is stored as typed, a reply as Markdown.
    assert _html_of(url) == {1: '<p class="as-written">q1</p>\n', 2: '<p class="as-written">a **bold** one</p>\n',
                             3: "<p>a1</p>\n", 4: '<p class="as-written">q2</p>\n', 5: "<p>a2</p>\n"}
    check = _flask(["db", "check"], url, tmp_path)
    assert check.returncode == 0, check.stderr + check.stdout
    assert "No new upgrade operations detected" in check.stdout + check.stderr
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"accounts", "users", "memberships", "llm_providers", "llm_models", "chats", "messages",
            "tool_calls", "attachments", "api_tokens"} <= tables


def test_migration_upgrades_sqlite_without_drift(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _upgrade_and_check(url, tmp_path)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ddl = dict(conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    engine.dispose()
    assert "AUTOINCREMENT" in ddl["messages"] and "AUTOINCREMENT" in ddl["chats"], "ids must never be reused"


def _postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return url
    except sa.exc.OperationalError:
        return None


def test_migration_upgrades_postgresql_without_drift(tmp_path):
    admin = _postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    name = f"confab_mig_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        _upgrade_and_check(admin.rsplit("/", 1)[0] + f"/{name}", tmp_path)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
