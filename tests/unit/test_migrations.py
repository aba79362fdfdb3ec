"""The one migration upgrades cleanly and matches the models, on SQLite and PostgreSQL."""
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


def _upgrade_and_check(url: str, tmp_path: Path) -> None:
    upgrade = _flask(["db", "upgrade"], url, tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
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
