"""Fixtures shared by every suite: ``app``, ``client``, ``runner``, ``auth``."""
from __future__ import annotations

import re

import pytest
from flask import g

from app import create_app
from app.catalog import registry
from app.config import TestConfig
from app.extensions import db, limiter
from app.platform.redis_client import get_redis
from tests.support.stack import Member, Stack
from tests.support.summary import SUMMARY_LINES


@pytest.fixture
def app_config():
    """Override in a test module to change settings."""
    return TestConfig


def _forget_signed_in_user(_exc) -> None:
    """Tests hold one app context open, so Flask-Login's per-context cache of the user
    would leak from one client's request into another's; production never shares it."""
    g.pop("_login_user", None)


@pytest.fixture
def app(app_config):
    app = create_app(app_config, role="web")
    app.teardown_request(_forget_signed_in_user)
    with app.app_context():
        db.create_all()
        registry.seed(app.config["MODELS_FILE"])
        db.session.commit()
        get_redis().flushall()
        limiter.reset()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class AuthActions:
    """Sign people up, in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def signup(self, name="Ann Lee", email="ann@example.com", password="correct horse battery"):
        return self._client.post("/signup", data={"name": name, "email": email, "password": password})

    def login(self, email="ann@example.com", password="correct horse battery"):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# -- the real stack (integration and browser suites) ---------------------------------

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack"), web_processes=2)
    try:
        stack.start()
        stack.flask("users", "create", "--email", "ann@example.com", "--name", "Ann Lee", "--password", PASSWORD)
        stack.flask("users", "create", "--email", "bob@example.com", "--name", "Bob Stone", "--password", PASSWORD)
        stack.flask("users", "create", "--email", "eve@example.com", "--name", "Eve Out", "--password", PASSWORD)
        stack.flask("accounts", "add-member", "Ann Lee's account", "bob@example.com")
        yield stack
    except Exception:
        print(stack.logs())
        raise
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def ann(stack):
    return Member(stack, "ann@example.com", PASSWORD)


@pytest.fixture(scope="session")
def bob(stack):
    return Member(stack, "bob@example.com", PASSWORD)


@pytest.fixture(scope="session")
def bob_elsewhere(stack):
    """Bob signed in through the second web process."""
    return Member(stack, "bob@example.com", PASSWORD, web_url=stack.web_urls[1])


@pytest.fixture(scope="session")
def eve(stack):
    return Member(stack, "eve@example.com", PASSWORD)


@pytest.fixture
def chat_id(ann):
    return ann.new_chat("integration")


# -- what the adversarial suite covered, at the end of the run (CI prints it) -----------------

ADVERSARIAL = (
    ("access matrix: route or event x role checks", "test_access_matrix.py::test_each_role_gets_exactly_what"),
    ("XSS payloads through the server renderer", "test_bad_input.py::test_hostile_markup_is_harmless"),
    ("Hypothesis property tests (up to 150 examples each)", "test_fuzzed_input.py::"),
    ("Redis restart mid-stream", "test_redis_restart.py::"),
)


def pytest_terminal_summary(terminalreporter) -> None:
    lines = []
    for label, prefix in ADVERSARIAL:
        counts = {outcome: sum(prefix in getattr(report, "nodeid", "") for report in terminalreporter.stats.get(outcome, []))
                  for outcome in ("passed", "failed", "skipped")}
        if any(counts.values()):
            lines.append(f"{label}: " + ", ".join(f"{n} {name}" for name, n in counts.items() if n))
    lines.extend(SUMMARY_LINES)
    if lines:
        terminalreporter.write_sep("-", "adversarial suite")
        for line in lines:
            terminalreporter.write_line(line)
