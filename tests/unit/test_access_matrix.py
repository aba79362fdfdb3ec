"""Every route, as every kind of person: owner, member, removed member, outsider, signed out,
and someone holding a revoked API token.

The table below is generated against the app's URL map: a route added without an
expectation here fails the suite, so no route can ship without someone deciding who may
use it (issue 14's adversarial matrix; SPEC §4, §10)."""
from __future__ import annotations

import re
import secrets

import pytest
import sqlalchemy as sa

from app.conversations.posting import post_user_message
from app.extensions import db, socketio
from app.identity import invitations, passwords
from app.identity.sessions import SESSION_KEY
from app.models import ROLE_OWNER, Account, ApiToken, Chat, LlmProvider, Message, User, UserSession
from app.models.sessions import hash_session_id
from tests.support.attachments import stored_attachment

ROLES = ("owner", "member", "removed", "outsider", "signed_out", "revoked_token")
OK, MOVED = (200, 202), (302,)
DENIED = (404,)
SIGN_IN = (401, 302)
TOKEN_NEEDED = (401,)

# (endpoint, method) -> {role: acceptable statuses}. Chat and account ids are the owner's.
EXPECTED = {
    ("chats.home", "GET"): {"*": MOVED},
    ("health.healthz", "GET"): {"*": OK},  # for load balancers: two words about the database and Redis
    ("auth.login", "GET"): {"signed_out": OK, "*": MOVED},
    ("auth.login", "POST"): {"signed_out": (401,), "*": MOVED},
    ("auth.signup", "GET"): {"signed_out": OK, "*": MOVED},
    ("auth.signup", "POST"): {"signed_out": (400,), "*": MOVED},
    ("auth.logout", "POST"): {"signed_out": SIGN_IN, "*": MOVED},
    ("auth.logout_everywhere", "POST"): {"signed_out": SIGN_IN, "*": MOVED},
    ("accounts.current", "GET"): {"signed_out": SIGN_IN, "*": MOVED},
    ("accounts.tokens", "GET"): {"signed_out": SIGN_IN, "*": OK},
    ("accounts.create_token", "POST"): {"signed_out": SIGN_IN, "*": MOVED},
    ("accounts.revoke_token", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.show", "GET"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.switch", "POST"): {"owner": MOVED, "member": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.budget", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.models", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    # The unit tests' model file names no MCP server: the owner's switch is refused as unknown.
    ("accounts.mcp_servers", "POST"): {"owner": (422,), "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.invite", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.invite_by_link", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.revoke_invitation", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.change_role", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.remove", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    # Leaving: the owner, the last one, is refused on the account page (a redirect back).
    ("accounts.leave", "POST"): {"owner": MOVED, "member": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    # The invitation here is addressed to the outsider's email; the link is the account's.
    ("accounts.invitations_page", "GET"): {"signed_out": SIGN_IN, "*": OK},
    ("accounts.accept", "POST"): {"outsider": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.decline", "POST"): {"outsider": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("accounts.join", "GET"): {"*": OK},
    ("accounts.join_accept", "POST"): {"signed_out": SIGN_IN, "*": MOVED},
    # The member is also in an account of their own: only an administrator may reset them (a
    # refusal on the account page, a redirect back).
    ("accounts.reset_link", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    # The Admin pages: the owner here is the instance's administrator; to everyone else they do not exist.
    ("admin.home", "GET"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.providers", "GET"): {"owner": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.welcome", "GET"): {"owner": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.add_provider", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},  # no base URL given
    ("admin.test_provider", "POST"): {"owner": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.refresh_provider", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.remove_provider", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},  # the file's: refused
    ("admin.models", "GET"): {"owner": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.switch_model", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.override_model", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.add_admin", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},
    ("admin.remove_admin", "POST"): {"owner": MOVED, "signed_out": SIGN_IN, "*": DENIED},  # not one: refused
    ("auth.profile", "GET"): {"signed_out": SIGN_IN, "*": OK},
    ("auth.rename", "POST"): {"signed_out": SIGN_IN, "*": MOVED},
    ("auth.change_password", "POST"): {"signed_out": SIGN_IN, "*": (400,)},  # no current password given
    # The member's reset link: whoever holds it sees its form (the form here is incomplete: 400).
    ("auth.reset_password", "GET"): {"*": OK},
    ("auth.reset_password", "POST"): {"*": (400,)},
    ("chats.index", "GET"): {"signed_out": SIGN_IN, "*": OK},
    ("chats.create", "POST"): {"signed_out": SIGN_IN, "*": OK},
    ("chats.show", "GET"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("chats.rename", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("chats.change_model", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("chats.instructions", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("chats.tools", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("chats.delete", "POST"): {"owner": OK, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    # The owner's chat is shared already (its creator hears so); only a creator may share.
    ("chats.share", "POST"): {"owner": MOVED, "member": (403,), "signed_out": SIGN_IN, "*": DENIED},
    # No account_id in the form: nowhere to move it to.
    ("chats.move", "POST"): {"signed_out": SIGN_IN, "*": DENIED},
    ("messages.since", "GET"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("messages.create", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("messages.cancel", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    # The message here is a reply still pending: it cannot be regenerated yet (409), nor edited,
    # being no question (409); any member may show it.
    ("messages.regenerate", "POST"): {"owner": (409,), "member": (409,), "signed_out": SIGN_IN, "*": DENIED},
    ("messages.edit", "POST"): {"owner": (409,), "member": (409,), "signed_out": SIGN_IN, "*": DENIED},
    ("messages.show", "POST"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    # Usage of the person's current account (everyone signed in has one).
    ("usage.show", "GET"): {"signed_out": SIGN_IN, "*": OK},
    ("usage.download", "GET"): {"signed_out": SIGN_IN, "*": OK},
    ("chats.export", "GET"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    ("messages.attachment", "GET"): {"owner": OK, "member": OK, "signed_out": SIGN_IN, "*": DENIED},
    # The API's document and its reference page describe; they grant nothing.
    ("api_reference.openapi_json", "GET"): {"*": OK},
    ("api_reference.reference", "GET"): {"*": OK},
    # The JSON API: each person holds a live token of their own (no token at all: 401).
    ("api.list_models", "GET"): {"signed_out": TOKEN_NEEDED, "*": OK},
    ("api.list_chats", "GET"): {"signed_out": TOKEN_NEEDED, "*": OK},
    ("api.create_chat", "POST"): {"signed_out": TOKEN_NEEDED, "*": (201,)},
    ("api.get_chat", "GET"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.change_chat", "PATCH"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.delete_chat", "DELETE"): {"owner": OK, "member": (403,), "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.export_chat", "GET"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.chat_events", "GET"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.post_message", "POST"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.get_message", "GET"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.cancel_message", "POST"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
    ("api.get_attachment", "GET"): {"owner": OK, "member": OK, "signed_out": TOKEN_NEEDED, "*": DENIED},
}
# JSON bodies for the API's routes (the pages get FORM).
API_BODIES = {"api.create_chat": {"title": "Mine"}, "api.change_chat": {"title": "Renamed"},
              "api.post_message": {"content": "hello"}}
STREAMS = {"api.chat_events"}
OPEN_TO_ALL = {"auth.login", "auth.signup", "chats.home", "accounts.join", "auth.reset_password", "health.healthz"}
# Socket.IO events -> roles that may use them on the owner's chat (everyone else is refused).
EVENTS = {"connect": {"owner", "member", "removed", "outsider"}, "join": {"owner", "member"},
          "leave": {"owner", "member", "removed", "outsider"}, "disconnect": {"owner", "member", "removed", "outsider"},
          "typing": {"owner", "member"}, "switch": {"owner", "member"}, "regenerate": {"owner", "member"},
          "edit": {"owner", "member"}}
FORM = {"content": "hello", "title": "Renamed", "model_id": "demo-chat", "instructions": "Be brief.",
        "email": "someone@example.com", "name": "token", "password": "short", "role": "member",
        "monthly_limit_usd": "10", "group": "builtin", "server": "tracker", "on": "0"}


def _routes(app) -> list[tuple[str, str, str]]:
    return sorted(
        (rule.endpoint, method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_every_route_has_an_expectation_for_every_role(app):
    missing = [(endpoint, method) for endpoint, method, _ in _routes(app) if (endpoint, method) not in EXPECTED]
    assert missing == [], f"routes with no access expectation: {missing}"
    assert set(EXPECTED) == {(endpoint, method) for endpoint, method, _ in _routes(app)}


CHEAP_HASH = "scrypt:32768:8:1$unused$" + "0" * 128  # matches no password; nobody signs in with it


def _person(name: str) -> User:
    user = User(email=f"{name.lower()}@example.com", name=name, password_hash=CHEAP_HASH)
    account = Account(name=f"{name}'s account")
    db.session.add_all([user, account])
    account.add_member(user, ROLE_OWNER)
    return user


@pytest.fixture
def world(app):
    """The owner's account with a chat and a pending reply, and one person per role."""
    owner, member, removed, outsider = (_person(n) for n in ("Owner", "Member", "Removed", "Outsider"))
    owner.is_admin = True
    db.session.flush()
    account = owner.memberships[0].account
    account.add_member(member)
    account.add_member(removed)
    chat = Chat(account=account, creator=owner, model_id="demo-chat", title="Plans")
    db.session.add(chat)
    db.session.flush()
    question, reply = post_user_message(chat, owner, "the secret plan")
    token, _ = ApiToken.issue(owner, "owner's script")
    invitation, _ = invitations.invite_email(account, owner, outsider.email, "member")
    _, secret = invitations.invite_link(account, owner, "member", 5, 7)
    reset_secret = passwords.reset_link_secret(member)
    attachment = stored_attachment(question, b"the secret plan, in a file\n", "plan.txt", "text/plain")
    db.session.commit()
    account.memberships.remove(account.membership_of(removed))
    db.session.commit()
    ids = {"chat_id": chat.id, "message_id": reply.id, "account_id": account.id, "user_id": member.id,
           "token_id": token.id, "attachment_id": attachment.id, "invitation_id": invitation.id, "secret": secret,
           "reset_secret": reset_secret,
           "provider_id": db.session.execute(sa.select(LlmProvider.id).where(LlmProvider.key == "demo")).scalar_one()}
    return ids, {"owner": owner.id, "member": member.id, "removed": removed.id, "outsider": outsider.id}


def _client_for(app, role: str, user_ids: dict):
    client = app.test_client()
    if role == "revoked_token":  # a token that worked once: browser routes treat it as no sign-in at all
        token, plain = ApiToken.issue(db.session.get(User, user_ids["owner"]), "revoked")
        db.session.flush()
        db.session.delete(token)
        db.session.commit()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
        return client
    if role == "signed_out":
        return client
    _, plain = ApiToken.issue(db.session.get(User, user_ids[role]), f"{role}'s script")
    client.api_token = plain
    session_id = secrets.token_urlsafe(12)
    db.session.add(UserSession(id_hash=hash_session_id(session_id), user_id=user_ids[role]))
    db.session.commit()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"], cookie[SESSION_KEY] = str(user_ids[role]), True, session_id
    return client


ROUTE = re.compile(r"<(?:[^:>]+:)?(\w+)>")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), sorted(EXPECTED))
def test_each_role_gets_exactly_what_the_table_says(app, world, endpoint, method, role):
    ids, user_ids = world
    rule = next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    path = ROUTE.sub(lambda m: str(ids[m.group(1)]), rule)
    client = _client_for(app, role, user_ids)
    if endpoint.startswith("api."):  # the API: the person's token, never the cookie; JSON bodies
        bearer = client.environ_base.pop("HTTP_AUTHORIZATION", None) or (
            f"Bearer {client.api_token}" if hasattr(client, "api_token") else None)
        client.delete_cookie("session")
        response = client.open(path, method=method, json=API_BODIES.get(endpoint),
                               headers={"Authorization": bearer} if bearer else {},
                               buffered=endpoint not in STREAMS)
        assert "Set-Cookie" not in response.headers
    else:
        response = client.open(path, method=method, data=FORM, headers={"X-Requested-With": "fetch"})
    as_role = "signed_out" if role == "revoked_token" else role
    expected = EXPECTED[(endpoint, method)].get(as_role, EXPECTED[(endpoint, method)].get("*"))
    if endpoint in STREAMS and response.status_code == 200:
        assert response.mimetype == "text/event-stream"
        response.close()  # an open event stream: its status is the answer here
    else:
        assert response.status_code in expected, (response.status_code, response.data[:200])
    if as_role == "signed_out" and response.status_code == 302 and endpoint not in OPEN_TO_ALL:
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
    if role in ("removed", "outsider", "signed_out", "revoked_token"):
        assert b"the secret plan" not in response.data
    db.session.expire_all()
    if role not in ("owner", "member"):
        assert db.session.get(Chat, ids["chat_id"]).title == "Plans"
        assert db.session.execute(sa.select(sa.func.count(Message.id))
                                  .where(Message.chat_id == ids["chat_id"])).scalar_one() == 2


def test_every_socket_event_has_an_expectation(app):
    assert set(socketio.server.handlers["/"]) == set(EVENTS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_says_on_the_socket(app, world, role):
    ids, user_ids = world
    client = _client_for(app, role, user_ids)
    sock = socketio.test_client(app, flask_test_client=client,
                                headers={"Authorization": client.environ_base.get("HTTP_AUTHORIZATION", "")})
    assert sock.is_connected() is (role in EVENTS["connect"])
    if not sock.is_connected():
        return
    joined = sock.emit("join", {"chat_id": ids["chat_id"]}, callback=True)
    assert joined["ok"] is (role in EVENTS["join"])
    if not joined["ok"]:
        assert joined == {"ok": False, "error": "Chat not found."}
    else:
        assert [u["message"]["id"] for u in joined["unfinished"]] == [ids["message_id"]]
    # Versions: any member may switch; a pending reply cannot be regenerated, nor edited.
    target = {"chat_id": ids["chat_id"], "message_id": ids["message_id"]}
    switched = sock.emit("switch", target, callback=True)
    assert switched["ok"] is (role in EVENTS["switch"]), switched
    for action in ("regenerate", "edit"):
        refused = sock.emit(action, {**target, "content": "x"}, callback=True)
        assert refused["ok"] is False
        assert (refused["error"] == "Message not found.") is (role not in EVENTS[action]), refused
    # Typing is told only to a room the socket is in.
    assert sock.emit("typing", {"chat_id": ids["chat_id"]}, callback=True)["ok"] is (role in EVENTS["typing"])
    assert sock.emit("leave", {"chat_id": ids["chat_id"]}, callback=True) == {"ok": True}
    sock.disconnect()
