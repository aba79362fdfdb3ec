"""People change their name and password, and a one-time link sets a forgotten one (issue 32)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, User, UserSession
from app.platform import mail
from tests.support.mailbox import run_mail_jobs
from tests.support.people import add_member
from tests.support.processes import free_port

RESET = re.compile(r'id="new-reset-link">http://localhost(/reset/[^<]+)<')
PASSWORD = "correct horse battery"


@pytest.fixture
def bob_owns_an_account_ann_is_only_in(client, auth, app):
    """Bob owns B; Ann signed up (her own account A) and Carol's only account is B."""
    auth.signup("Ann Lee", "ann@example.com")
    auth.logout()
    auth.signup("Carol Reed", "carol@example.com")
    auth.logout()
    auth.signup("Bob Stone", "bob@example.com")
    b = db.session.execute(sa.select(Account).where(Account.name == "Bob Stone's account")).scalar_one()
    add_member(b.id, "ann@example.com")
    add_member(b.id, "carol@example.com")
    carol = db.session.execute(sa.select(User).where(User.email == "carol@example.com")).scalar_one()
    own = db.session.execute(sa.select(Account).where(Account.name == "Carol Reed's account")).scalar_one()
    db.session.delete(own)  # Carol is in B alone
    db.session.commit()
    return b, carol


def sessions_of(email: str) -> int:
    return db.session.execute(sa.select(sa.func.count(UserSession.id_hash)).join(User)
                              .where(User.email == email)).scalar_one()


def test_a_person_changes_their_name_and_password_and_every_other_session_ends(client, auth, app):
    auth.signup("Ann Lee", "ann@example.com")
    other = app.test_client()
    assert other.post("/login", data={"email": "ann@example.com", "password": PASSWORD}).status_code == 302
    assert sessions_of("ann@example.com") == 2

    assert client.post("/account/profile/name", data={"name": "Ann Lee-Park"}).status_code == 302
    assert "Ann Lee-Park" in client.get("/account/profile").get_data(as_text=True)
    wrong = client.post("/account/profile/password", data={"current_password": "guess", "new_password": "a new secret"})
    assert wrong.status_code == 400 and "That is not your current password." in wrong.get_data(as_text=True)
    weak = client.post("/account/profile/password", data={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 400 and "Use at least 8 characters." in weak.get_data(as_text=True)
    changed = client.post("/account/profile/password", data={"current_password": PASSWORD,
                                                             "new_password": "a brand new secret"})
    assert changed.status_code == 302
    assert sessions_of("ann@example.com") == 1
    assert client.get("/chats").status_code == 200  # this browser stays signed in
    assert other.get("/chats").status_code == 302  # the other one is out
    auth.logout()
    assert auth.login("ann@example.com", "a brand new secret").status_code == 302


def test_an_owner_makes_a_reset_link_that_works_once_for_a_member_only_in_their_accounts(
        client, auth, bob_owns_an_account_ann_is_only_in):
    b, carol = bob_owns_an_account_ann_is_only_in
    page = client.get(f"/accounts/{b.id}").get_data(as_text=True)
    assert page.count(">Reset link</button>") == 1  # Carol's; Ann has an account of her own
    client.post(f"/accounts/{b.id}/members/{carol.id}/reset-link")
    link = RESET.search(client.get(f"/accounts/{b.id}").get_data(as_text=True)).group(1)
    auth.logout()
    form = client.get(link).get_data(as_text=True)
    assert "For Carol Reed (carol@example.com)" in form
    assert client.post(link, data={"new_password": "carol's new one"}).headers["Location"] == "/login"
    assert client.post(link, data={"new_password": "someone else's"}).status_code == 404  # once
    assert client.get(link).status_code == 404
    assert auth.login("carol@example.com", "carol's new one").status_code == 302


def test_an_owner_cannot_reset_someone_who_is_also_in_other_accounts(client, bob_owns_an_account_ann_is_only_in):
    b, _ = bob_owns_an_account_ann_is_only_in
    ann = db.session.execute(sa.select(User).where(User.email == "ann@example.com")).scalar_one()
    refused = client.post(f"/accounts/{b.id}/members/{ann.id}/reset-link", follow_redirects=True)
    assert b"only an administrator can reset their password" in refused.data
    assert b"new-reset-link" not in refused.data


def test_an_administrator_prints_a_reset_link(runner, client, auth):
    auth.signup("Ann Lee", "ann@example.com")
    auth.logout()
    printed = runner.invoke(args=["users", "reset-link", "ann@example.com"])
    link = printed.output.split()[0]
    assert link.startswith("/reset/")
    assert client.post(link, data={"new_password": "a fresh secret"}).status_code == 302
    assert auth.login("ann@example.com", "a fresh secret").status_code == 302


def test_with_a_mail_server_a_reset_link_is_mailed_to_the_member_and_works_once(
        client, auth, bob_owns_an_account_ann_is_only_in, mailbox, app):
    b, carol = bob_owns_an_account_ann_is_only_in
    page = client.post(f"/accounts/{b.id}/members/{carol.id}/reset-link", follow_redirects=True).get_data(as_text=True)
    assert "is on its way to carol@example.com; it is below too." in page
    assert run_mail_jobs(app) == 1
    [(recipients, message)] = mailbox.received
    assert recipients == ["carol@example.com"] and message["Subject"] == "Set a new password for Confab"
    body = message.get_content()
    assert "Bob Stone made you a link to set a new Confab password. It works once, for the next hour:" in body
    link = re.search(r"http://localhost(/reset/\S+)", body).group(1)
    assert link == RESET.search(page).group(1)
    auth.logout()
    assert client.post(link, data={"new_password": "carol's new one"}).headers["Location"] == "/login"
    assert client.post(link, data={"new_password": "again"}).status_code == 404
    assert auth.login("carol@example.com", "carol's new one").status_code == 302


def test_a_mail_server_that_refuses_fails_the_job_loudly_and_the_owner_still_has_the_link(
        client, bob_owns_an_account_ann_is_only_in, app):
    b, carol = bob_owns_an_account_ann_is_only_in
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)  # nobody listens
    page = client.post(f"/accounts/{b.id}/members/{carol.id}/reset-link", follow_redirects=True).get_data(as_text=True)
    assert RESET.search(page)
    with pytest.raises(ConnectionRefusedError):
        run_mail_jobs(app)


def test_a_subject_holding_a_line_break_stays_one_header(mailbox, app):
    mail.send(app.config, "carol@example.com", "Hello\r\nBcc: eve@example.com", "Body")
    [(recipients, message)] = mailbox.received
    assert recipients == ["carol@example.com"] and message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: eve@example.com"
