"""Accounts: members, owners, switching, and isolation between accounts."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Chat, Membership, User
from tests.support.people import add_member
from tests.support.chats import empty_chat


@pytest.fixture
def two_accounts(client, auth):
    """Ann owns account A, Bob owns account B; Bob is signed in at the end."""
    auth.signup("Ann Lee", "ann@example.com")
    auth.logout()
    auth.signup("Bob Stone", "bob@example.com")
    a = db.session.execute(sa.select(Account).where(Account.name == "Ann Lee's account")).scalar_one()
    b = db.session.execute(sa.select(Account).where(Account.name == "Bob Stone's account")).scalar_one()
    return a, b


def test_account_page_lists_members(client, two_accounts):
    _, b = two_accounts
    response = client.get("/account", follow_redirects=True)
    assert response.status_code == 200
    assert b"Bob Stone" in response.data
    assert b"bob@example.com" in response.data


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/{a}"),
        ("post", "/accounts/{a}/invitations"),
        ("post", "/accounts/{a}/members/1/role"),
        ("post", "/accounts/{a}/leave"),
        ("post", "/accounts/{a}/members/1/remove"),
        ("post", "/accounts/{a}/switch"),
        ("post", "/accounts/{a}/budget"),
        ("get", "/accounts/99999"),
    ],
)
def test_user_of_another_account_gets_404(client, two_accounts, method, path):
    a, _ = two_accounts
    response = getattr(client, method)(path.format(a=a.id), data={"email": "bob@example.com"})
    assert response.status_code == 404
    assert db.session.execute(
        sa.select(sa.func.count(Membership.id)).where(Membership.account_id == a.id)
    ).scalar_one() == 1


def test_member_who_is_not_owner_cannot_manage_members(client, auth, two_accounts):
    a, b = two_accounts
    add_member(b.id, "ann@example.com")
    auth.logout()
    auth.login("ann@example.com")
    assert client.post(f"/accounts/{b.id}/invitations", data={"email": "eve@example.com", "role": "owner"}).status_code == 403
    assert client.post(f"/accounts/{b.id}/members/1/role", data={"role": "owner"}).status_code == 403
    bob = db.session.execute(sa.select(User).where(User.email == "bob@example.com")).scalar_one()
    assert client.post(f"/accounts/{b.id}/members/{bob.id}/remove").status_code == 403
    assert len(db.session.get(Account, b.id).memberships) == 2


def test_owner_removes_member_but_not_the_last_owner(client, two_accounts):
    _, b = two_accounts
    add_member(b.id, "ann@example.com")
    ann = db.session.execute(sa.select(User).where(User.email == "ann@example.com")).scalar_one()
    bob = db.session.execute(sa.select(User).where(User.email == "bob@example.com")).scalar_one()
    client.post(f"/accounts/{b.id}/members/{ann.id}/remove")
    response = client.post(f"/accounts/{b.id}/members/{bob.id}/remove", follow_redirects=True)
    assert b"Bob Stone is the only owner. Make someone else an owner first." in response.data
    members = [m.user_id for m in db.session.get(Account, b.id).memberships]
    assert members == [bob.id]


def test_owner_sets_budget(client, two_accounts):
    _, b = two_accounts
    client.post(f"/accounts/{b.id}/budget", data={"monthly_limit_usd": "12.50", "member_monthly_limit_usd": ""})
    account = db.session.get(Account, b.id)
    assert float(account.monthly_limit_usd) == 12.5
    assert account.member_monthly_limit_usd is None


def test_api_token_page_shows_new_token_once_after_a_redirect_and_stores_only_its_hash(client, two_accounts):
    created = client.post("/account/tokens", data={"name": "laptop"})
    assert created.status_code == 302 and created.headers["Location"] == "/account/tokens"
    token = client.get("/account/tokens").data.decode().split('id="new-token">')[1].split("<")[0]
    assert token.startswith("cfb_")
    page = client.get("/account/tokens").data.decode()  # a reload: shown no more, nothing minted
    assert "laptop" in page and token not in page
    from app.models import ApiToken

    stored = db.session.execute(sa.select(ApiToken)).scalar_one()  # exactly one token
    assert stored.token_hash != token and len(stored.token_hash) == 64


def test_a_new_api_token_never_travels_in_the_session_cookie(client, app, two_accounts):
    client.post("/account/tokens", data={"name": "laptop"})
    cookie = client.get_cookie("session")
    carried = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    token = client.get("/account/tokens").data.decode().split('id="new-token">')[1].split("<")[0]
    assert token.startswith("cfb_") and token not in repr(carried) and token not in cookie.value


def test_opening_a_chat_of_another_account_offers_a_switch_and_changes_nothing(client, auth, two_accounts):
    a, b = two_accounts
    add_member(b.id, "ann@example.com")
    empty_chat(client, title="Bob's plans")
    chat_id = db.session.execute(sa.select(Chat.id).where(Chat.title == "Bob's plans")).scalar_one()
    auth.logout()
    auth.login("ann@example.com")  # she works in her own account, A
    page = client.get(f"/chats/{chat_id}")  # a link, or a Markdown image pointing at the chat
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "This chat is in <strong>Bob Stone&#39;s account</strong>; you are working in Ann Lee&#39;s account." in text
    assert f'action="/accounts/{b.id}/switch"' in text and f'name="chat_id" value="{chat_id}"' in text
    assert "Chats in Ann Lee&#39;s account" in client.get("/chats").get_data(as_text=True)  # still in A

    opened = client.post(f"/accounts/{b.id}/switch", data={"chat_id": str(chat_id)})
    assert opened.headers["Location"] == f"/chats/{chat_id}"
    assert 'id="composer-input"' in client.get(f"/chats/{chat_id}").get_data(as_text=True)


@pytest.mark.parametrize("chat_id", ["", "abc", "99999999999999999999", "-1"])
def test_a_switch_with_an_odd_or_foreign_chat_id_goes_to_the_account_home(client, two_accounts, chat_id):
    _, b = two_accounts
    response = client.post(f"/accounts/{b.id}/switch", data={"chat_id": chat_id})
    assert response.status_code == 302 and response.headers["Location"] == "/chats"
