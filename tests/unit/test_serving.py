"""Serving a network (issue 34): forwarded headers are honoured only from trusted proxies, the
secret key is made once and kept private, and /healthz tells a balancer whether this process
reaches the database and Redis."""
from __future__ import annotations

import os
import stat

import pytest
from flask import request

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.support.processes import free_port

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.com"}


def _app_with(**settings):
    config = type("Configured", (TestConfig,), settings)
    app = create_app(config, role="web")

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
