"""Sign-up, sign-in, sign-out, CSRF, rate limits and security headers (SPEC §8, §10)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.config import TestConfig
from app.extensions import db
from app.identity import accounts
from app.models import Account, Membership, User
from tests.conftest import AuthActions


def test_signup_creates_user_with_personal_account_and_signs_in(client, auth):
    response = auth.signup()
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/welcome")  # the first user sets the instance up
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.email == "ann@example.com"
    assert user.password_hash != "correct horse battery"
    membership = db.session.execute(sa.select(Membership)).scalar_one()
    assert membership.role == "owner"
    assert membership.account.name == "Ann Lee's account"
    page = client.get("/chats")
    assert page.status_code == 200
    assert b"No chats yet" in page.data


def test_signup_rejects_duplicate_email_ignoring_case(client, auth):
    auth.signup()
    auth.logout()
    response = auth.signup(name="Other", email="ANN@Example.com")
    assert response.status_code == 400
    assert b"cannot be used to sign up" in response.data
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [("", b"Enter a password."), ("short", b"at least 8 characters"), ("aaaaaaaaaa", b"less predictable")],
)
def test_signup_rejects_empty_or_weak_password(client, auth, password, message):
    response = auth.signup(password=password)
    assert response.status_code == 400
    assert message in response.data
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0


def test_signup_accepts_an_intranet_domain(auth):
    assert auth.signup(email="ann@corp.internal").status_code == 302


def test_signup_rejects_invalid_email(auth):
    response = auth.signup(email="not-an-email")
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.data


def test_wrong_password_and_unknown_email_get_the_same_answer(client, auth):
    auth.signup()
    auth.logout()
    client.get("/login")  # shows and clears the "signed out" flash
    wrong_password = auth.login(password="wrong password!")
    unknown_email = auth.login(email="nobody@example.com")
    assert wrong_password.status_code == unknown_email.status_code == 401
    strip = lambda body: re.sub(rb'value="[^"]*"', b"", body)  # noqa: E731
    assert strip(wrong_password.data) == strip(unknown_email.data)
    assert b"do not match an account" in wrong_password.data


def test_sign_in_then_sign_out(client, auth):
    auth.signup()
    auth.logout()
    assert client.get("/chats").status_code == 302
    response = auth.login(email="ANN@example.com")
    assert response.status_code == 302
    assert client.get("/chats").status_code == 200
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/chats").headers["Location"].startswith("/login")


def test_login_redirects_only_to_local_next(client, auth):
    auth.signup()
    auth.logout()
    response = client.post("/login?next=https://evil.example/x", data={"email": "ann@example.com", "password": "correct horse battery"})
    assert response.headers["Location"] == "/chats"


@pytest.mark.parametrize("path", ["/chats", "/chats/1", "/account", "/accounts/1", "/account/tokens"])
def test_signed_out_visitor_is_redirected_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/logout", "/logout/everywhere"])
def test_signed_out_visitor_cannot_sign_out(client, path):
    response = client.post(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


class CsrfConfig(TestConfig):
    WTF_CSRF_ENABLED = True


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return CsrfConfig

    def test_form_without_csrf_token_is_rejected(self, client, auth):
        response = auth.signup()
        assert response.status_code == 400
        assert b"Reload the page" in response.data
        assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 0

    def test_form_with_csrf_token_is_accepted(self, client):
        page = client.get("/signup").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/signup", data={"name": "Ann", "email": "a@example.com", "password": "correct horse", "csrf_token": token})
        assert response.status_code == 302

    @pytest.mark.parametrize("path", ["/logout", "/logout/everywhere"])
    def test_fetch_without_csrf_header_is_rejected_as_json(self, client, path):
        response = client.post(path, headers={"X-Requested-With": "fetch"})
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "csrf_failed"


class LimitConfig(TestConfig):
    LOGIN_LIMIT_PER_EMAIL = "3 per minute"
    LOGIN_LIMIT_PER_ADDRESS = "5 per minute"
    SIGNUP_LIMIT_PER_ADDRESS = "3 per minute"


class TestLoginRateLimit:
    @pytest.fixture
    def app_config(self):
        return LimitConfig

    def test_failed_sign_ins_are_limited_per_email(self, client, auth):
        auth.signup()
        auth.logout()
        for _ in range(3):
            assert auth.login(password="wrong password!").status_code == 401
        blocked = auth.login()
        assert blocked.status_code == 429
        assert b"Too many sign-in attempts" in blocked.data
        assert int(blocked.headers["Retry-After"]) > 0
        assert auth.login(email="someone@example.com").status_code == 401

    def test_failed_sign_ins_are_limited_per_address(self, client, auth):
        for i in range(5):
            assert auth.login(email=f"user{i}@example.com").status_code == 401
        assert auth.login(email="fresh@example.com").status_code == 429

    def test_guessing_a_password_cannot_lock_its_owner_out_of_a_browser_they_signed_in_on(self, app, client, auth):
        auth.signup()
        auth.logout()
        assert auth.login().status_code == 302
        auth.logout()
        attacker = AuthActions(app.test_client())
        for _ in range(3):
            assert attacker.login(password="guess guess!").status_code == 401
        assert attacker.login().status_code == 429
        assert auth.login().status_code == 302

    def test_sign_ups_are_limited_per_address_and_say_when_to_retry(self, client, auth):
        for i in range(3):
            assert auth.signup(email=f"new{i}@example.com").status_code == 302
            auth.logout()
        blocked = auth.signup(email="one.more@example.com")
        assert blocked.status_code == 429
        assert b"Too many sign-ups" in blocked.data and int(blocked.headers["Retry-After"]) > 0
        assert db.session.execute(sa.select(sa.func.count(User.id))).scalar_one() == 3

    def test_successful_sign_ins_do_not_count(self, client, auth):
        auth.signup()
        auth.logout()
        for _ in range(5):
            assert auth.login().status_code == 302
            auth.logout()


def test_security_headers_and_cookie_flags(client, auth):
    response = auth.signup()
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    page = client.get("/chats")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.data.decode()
    assert 'name="csrf-token"' in page.data.decode()


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from app.config import Config, ConfigError

    monkeypatch.setattr(Config, "ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        Config.validate()


def test_account_count_after_signup_is_one(auth):
    auth.signup()
    assert db.session.execute(sa.select(sa.func.count(Account.id))).scalar_one() == 1


def test_an_unknown_email_gets_the_same_password_check_as_a_known_one(client, auth, monkeypatch):
    auth.signup()
    auth.logout()
    checked = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda stored, given: checked.append(stored) or real(stored, given))
    assert auth.login(password="wrong password!").status_code == 401
    assert auth.login(email="nobody@example.com", password="wrong password!").status_code == 401
    known, unknown = checked
    assert known == db.session.execute(sa.select(User.password_hash)).scalar_one()
    assert unknown != known and unknown.split("$")[0] == known.split("$")[0]  # same method and cost
    assert auth.login().status_code == 302
