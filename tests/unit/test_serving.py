"""Serving a network (issue 34): forwarded headers are honoured only from trusted proxies, the
secret key is made once and kept private, /healthz tells a balancer whether this process
reaches the database and Redis, and a database restart is a pause, not an error."""
from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from flask import request

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.platform.db_pool import while_unreachable
from tests.support.processes import free_port

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.com"}


def _app_with(**settings):
    config = type("Configured", (TestConfig,), settings)
    app = create_app(config, role="cli")  # no bus listener: some of these apps have no Redis

    @app.get("/_seen")
    def seen():
        return {"address": request.remote_addr, "secure": request.is_secure, "host": request.host}
    return app


@pytest.mark.parametrize(("proxies", "expected"), [
    (0, {"address": "127.0.0.1", "secure": False, "host": "localhost"}),
    (1, {"address": "203.0.113.9", "secure": True, "host": "chat.example.com"}),
])
def test_forwarded_headers_count_only_when_a_proxy_is_trusted(proxies, expected):
    app = _app_with(TRUSTED_PROXIES=proxies)
    answer = app.test_client().get("/_seen", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.get_json() == expected


def test_the_sign_up_limit_counts_people_behind_a_trusted_proxy_not_the_proxy(tmp_path):
    app = _app_with(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True)
    with app.app_context():
        db.create_all()
        client = app.test_client()
        answers = [client.post("/signup", data={"name": "A", "email": f"a{n}@example.com", "password": "short"},
                               headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(8)]
        assert 429 not in answers
        answers = [client.post("/signup", data={"name": "A", "email": "b@example.com", "password": "short"},
                               headers={"X-Forwarded-For": "198.51.100.200"}).status_code for _ in range(8)]
        assert 429 in answers
        db.drop_all()


def test_without_a_secret_key_one_is_made_once_kept_owner_only_and_reused(tmp_path):
    path = tmp_path / "instance" / "secret-key"
    first = _app_with(SECRET_KEY=None, SECRET_KEY_FILE=str(path))
    again = _app_with(SECRET_KEY=None, SECRET_KEY_FILE=str(path))
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"] == path.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 80
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_healthz_answers_200_when_the_database_and_redis_answer(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"ok": True, "database": "ok", "redis": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("down", ["database", "redis"])
def test_healthz_answers_503_naming_what_is_down(down):
    closed = f"127.0.0.1:{free_port()}"
    settings = {"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg2://postgres@{closed}/confab"} if down == "database" \
        else {"REDIS_URL": f"redis://{closed}/0", "RATELIMIT_STORAGE_URI": "memory://"}
    app = _app_with(**settings)
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"ok": False, "database": "unreachable" if down == "database" else "ok",
                                 "redis": "unreachable" if down == "redis" else "ok"}


def test_an_unreachable_database_is_a_503_to_retry_never_a_500_or_a_traceback():
    app = _app_with()

    @app.get("/_needs_the_database")
    def needs_the_database():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    client = app.test_client()
    page = client.get("/_needs_the_database")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Try again in a moment" in page.data.decode() and "Traceback" not in page.data.decode()
    answer = client.get("/_needs_the_database", headers={"Accept": "application/json", "X-Requested-With": "fetch"})
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "unavailable"


def test_a_finished_reply_waits_out_a_database_restart_and_a_refused_statement_does_not():
    attempts = []

    def store():
        attempts.append(1)
        if len(attempts) < 3:
            raise sa.exc.OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return "stored"

    app = _app_with()
    with app.app_context():
        assert while_unreachable(store, within=5, log=app.logger, what="storing") == "stored"
        assert len(attempts) == 3

        def refused():
            raise sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))

        with pytest.raises(sa.exc.IntegrityError):
            while_unreachable(refused, within=5, log=app.logger, what="storing")
