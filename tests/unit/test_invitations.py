"""Nobody joins an account without accepting (issue 32): invitations by email and by link,
declining, leaving, roles and the last owner, and the account a sign-in starts in."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Chat, Invitation, Membership, User
from app.models.base import utcnow
from tests.support.people import add_member
from tests.support.chats import empty_chat
from tests.support.mailbox import run_mail_jobs

LINK = re.compile(r'id="new-invitation-link">http://localhost(/join/[^<]+)<')


@pytest.fixture
def accounts(client, auth):
    """Ann (her own account, A) and Bob (owner of B, with a chat in it); Bob is signed in."""
    auth.signup("Ann Lee", "ann@example.com")
    auth.logout()
    auth.signup("Bob Stone", "bob@example.com")
    empty_chat(client, title="Bob's plans")
    a = db.session.execute(sa.select(Account).where(Account.name == "Ann Lee's account")).scalar_one()
    b = db.session.execute(sa.select(Account).where(Account.name == "Bob Stone's account")).scalar_one()
    chat_id = db.session.execute(sa.select(Chat.id).where(Chat.account_id == b.id)).scalar_one()
    return a, b, chat_id


def members_of(account_id: int) -> set[str]:
    return set(db.session.execute(sa.select(User.email).join(Membership).where(Membership.account_id == account_id))
               .scalars())


def invite(client, account_id: int, email: str, role: str = "member") -> str:
    """Invite ``email``; the link the page then shows once."""
    response = client.post(f"/accounts/{account_id}/invitations", data={"email": email, "role": role})
    assert response.status_code == 302
    return LINK.search(client.get(f"/accounts/{account_id}").get_data(as_text=True)).group(1)


def make_link(client, account_id: int, uses: int = 2, days: int = 7) -> str:
    client.post(f"/accounts/{account_id}/invitation-links", data={"role": "member", "max_uses": uses, "days": days})
    return LINK.search(client.get(f"/accounts/{account_id}").get_data(as_text=True)).group(1)


def test_an_invited_user_is_no_member_until_accepting_and_then_works_in_the_account(client, auth, accounts):
    _, b, chat_id = accounts
    invite(client, b.id, "ANN@example.com")
    assert members_of(b.id) == {"bob@example.com"}
    auth.logout()
    auth.login("ann@example.com")
    assert "1 invitation waiting</span>" in client.get("/chats").get_data(as_text=True)
    assert client.get(f"/chats/{chat_id}").status_code == 404  # invited is not a member
    page = client.get("/invitations").get_data(as_text=True)
    assert "<strong>Bob Stone</strong> invites you to join <strong>Bob Stone&#39;s account</strong> as a member" in page
    invitation_id = db.session.execute(sa.select(Invitation.id)).scalar_one()
    joined = client.post(f"/invitations/{invitation_id}/accept")
    assert joined.headers["Location"] == "/chats"
    assert members_of(b.id) == {"ann@example.com", "bob@example.com"}
    assert "Chats in Bob Stone&#39;s account" in client.get("/chats").get_data(as_text=True)
    assert client.get(f"/chats/{chat_id}").status_code == 200
    assert client.post(f"/invitations/{invitation_id}/accept").status_code == 404  # used


def test_a_declined_invitation_makes_no_member_and_cannot_be_accepted_after(client, auth, accounts):
    _, b, _ = accounts
    invite(client, b.id, "ann@example.com")
    auth.logout()
    auth.login("ann@example.com")
    invitation_id = db.session.execute(sa.select(Invitation.id)).scalar_one()
    assert client.post(f"/invitations/{invitation_id}/decline").status_code == 302
    assert client.post(f"/invitations/{invitation_id}/accept").status_code == 404
    assert members_of(b.id) == {"bob@example.com"}


def test_the_invite_form_answers_the_same_for_registered_and_unknown_emails(client, accounts):
    _, b, _ = accounts
    client.get("/chats")  # the sign-up's welcome is shown and gone
    answers = []
    for email in ("ann@example.com", "nobody@example.com"):
        page = client.post(f"/accounts/{b.id}/invitations", data={"email": email, "role": "member"},
                           follow_redirects=True).get_data(as_text=True)
        answers.append(page.replace(email, "EMAIL").split('id="new-invitation-link">')[0])
    assert answers[0] == answers[1]
    assert "EMAIL is invited as a member." in answers[0]


def test_the_invite_form_is_rate_limited_per_owner(client, accounts):
    _, b, _ = accounts
    statuses = [client.post(f"/accounts/{b.id}/invitations", data={"email": f"p{n}@example.com", "role": "member"}
                            ).status_code for n in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


def test_an_email_invitation_cannot_be_taken_by_someone_else(client, auth, accounts):
    _, b, _ = accounts
    link = invite(client, b.id, "carol@example.com")
    auth.logout()
    auth.login("ann@example.com")
    refused = client.post(link, follow_redirects=True).get_data(as_text=True)
    assert "This invitation is for carol@example.com. Sign in with that address to accept it." in refused
    assert members_of(b.id) == {"bob@example.com"}


def test_a_new_person_signs_up_through_a_link_and_lands_in_the_account(client, auth, accounts):
    _, b, chat_id = accounts
    link = make_link(client, b.id)
    auth.logout()
    offer = client.get(link).get_data(as_text=True)
    assert "<h1>Join Bob Stone&#39;s account</h1>" in offer and "Sign up and join" in offer
    secret = link.rsplit("/", 1)[1]
    signed_up = client.post(f"/signup?invite={secret}", data={"name": "Dan Moss", "email": "dan@example.com",
                                                               "password": "correct horse battery"})
    assert signed_up.status_code == 302
    assert "dan@example.com" in members_of(b.id)
    assert "Chats in Bob Stone&#39;s account" in client.get("/chats").get_data(as_text=True)
    assert client.get(f"/chats/{chat_id}").status_code == 200


def test_a_link_works_as_many_times_as_it_says_until_it_expires_or_is_withdrawn(client, auth, accounts, app):
    _, b, _ = accounts
    link = make_link(client, b.id, uses=1)
    auth.logout()
    auth.login("ann@example.com")
    assert "Join as Ann Lee" in client.get(link).get_data(as_text=True)  # a GET changes nothing
    assert members_of(b.id) == {"bob@example.com"}
    assert client.post(link).status_code == 302 and "ann@example.com" in members_of(b.id)
    auth.logout()
    auth.signup("Carol Reed", "carol@example.com")
    assert client.get(link).status_code == 404  # used up
    assert client.post(link).status_code == 404

    auth.logout()
    auth.login("bob@example.com")
    expiring, withdrawn = make_link(client, b.id), make_link(client, b.id)
    db.session.execute(sa.update(Invitation).where(Invitation.max_uses == 2, Invitation.id == sa.select(
        sa.func.min(Invitation.id)).where(Invitation.max_uses == 2).scalar_subquery())
        .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    newest = db.session.execute(sa.select(sa.func.max(Invitation.id))).scalar_one()
    client.post(f"/accounts/{b.id}/invitations/{newest}/revoke")
    auth.logout()
    auth.login("carol@example.com")
    for link in (expiring, withdrawn):
        assert "This invitation does not work" in client.get(link).get_data(as_text=True)
        assert client.post(link).status_code == 404
    assert "carol@example.com" not in members_of(b.id)


def test_a_link_cannot_be_made_for_more_uses_or_days_than_allowed(client, accounts):
    _, b, _ = accounts
    for data in ({"max_uses": 0, "days": 7}, {"max_uses": 101, "days": 7}, {"max_uses": 5, "days": 3}):
        client.post(f"/accounts/{b.id}/invitation-links", data={"role": "member", **data})
    assert db.session.execute(sa.select(sa.func.count(Invitation.id))).scalar_one() == 0


def test_owners_change_roles_but_the_last_owner_stays_one_and_cannot_leave(client, auth, accounts):
    a, b, _ = accounts
    add_member(b.id, "ann@example.com")
    ann = db.session.execute(sa.select(User).where(User.email == "ann@example.com")).scalar_one()
    bob = db.session.execute(sa.select(User).where(User.email == "bob@example.com")).scalar_one()
    page = client.get(f"/accounts/{b.id}").get_data(as_text=True)
    assert "Bob Stone is the only owner. Make someone else an owner first." in page  # said before any click
    assert f'id="role-{bob.id}" disabled' in page
    refused = client.post(f"/accounts/{b.id}/members/{bob.id}/role", data={"role": "member"}, follow_redirects=True)
    assert b"Bob Stone is the only owner" in refused.data
    assert client.post(f"/accounts/{b.id}/leave", follow_redirects=True).status_code == 200
    assert members_of(b.id) == {"ann@example.com", "bob@example.com"}

    client.post(f"/accounts/{b.id}/members/{ann.id}/role", data={"role": "owner"})
    client.post(f"/accounts/{b.id}/members/{bob.id}/role", data={"role": "member"})
    roles = dict(db.session.execute(sa.select(Membership.user_id, Membership.role)
                                    .where(Membership.account_id == b.id)).all())
    assert roles == {ann.id: "owner", bob.id: "member"}
    only_account = client.post(f"/accounts/{b.id}/leave", follow_redirects=True)
    assert b"This is your only account, so you cannot leave it." in only_account.data
    add_member(a.id, "bob@example.com")
    assert client.post(f"/accounts/{b.id}/leave").headers["Location"] == "/chats"
    assert members_of(b.id) == {"ann@example.com"}


def test_a_sign_in_starts_in_the_account_last_worked_in(client, auth, accounts):
    a, b, _ = accounts
    add_member(a.id, "bob@example.com")
    client.post(f"/accounts/{a.id}/switch")
    auth.logout()
    auth.login("bob@example.com")
    assert "Chats in Ann Lee&#39;s account" in client.get("/chats").get_data(as_text=True)


def test_with_a_mail_server_an_invitation_is_mailed_with_a_link_that_works(client, auth, accounts, mailbox, app):
    _, b, chat_id = accounts
    shown = invite(client, b.id, "dora@example.com", role="owner")
    assert mailbox.received == []  # mailed by a job, never inside the owner's request
    assert run_mail_jobs(app) == 1
    [(recipients, message)] = mailbox.received
    assert recipients == ["dora@example.com"] and message["To"] == "dora@example.com"
    assert message["From"] == "Confab <confab@example.com>"
    assert message["Subject"] == "Bob Stone invited you to Bob Stone's account on Confab"
    body = message.get_content()
    assert "join Bob Stone's account on Confab, as an owner." in body
    mailed = re.search(r"http://localhost(/join/\S+)", body).group(1)
    assert mailed == shown
    auth.logout()
    client.post(f"/signup?invite={mailed.rsplit('/', 1)[1]}",
                data={"name": "Dora Finch", "email": "dora@example.com", "password": "correct horse battery"})
    assert "dora@example.com" in members_of(b.id) and client.get(f"/chats/{chat_id}").status_code == 200


def test_without_a_mail_server_nothing_is_queued_and_the_owner_passes_the_link_on(client, accounts, app):
    _, b, _ = accounts
    assert not app.config["MAIL_SERVER"]
    flashed = client.post(f"/accounts/{b.id}/invitations", data={"email": "dora@example.com", "role": "member"},
                          follow_redirects=True).get_data(as_text=True)
    assert "or send them the link below" in flashed and 'id="new-invitation-link"' in flashed
    assert run_mail_jobs(app) == 0
