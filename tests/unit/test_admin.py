"""The Admin pages (issue 31): administrators connect providers from the browser (the key kept
encrypted, never shown again), test and refresh them, switch models on, set a price by hand,
and make other administrators."""
from __future__ import annotations

import hashlib
import os
import stat

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Chat, LlmModel, LlmProvider, User
from app.platform import secret_files
from tests.support.chats import empty_chat

KEY = "sk-or-v1-secret-0123456789abcdef"
KEY_HASH = hashlib.sha256(KEY.encode()).hexdigest()[:16]
JSON = {"X-Requested-With": "fetch", "Accept": "application/json"}


@pytest.fixture
def admin(client, auth):
    """Ann, the instance's first user and so its administrator, signed in."""
    auth.signup("Ann Lee", "ann@example.com")
    return db.session.execute(sa.select(User).where(User.email == "ann@example.com")).scalar_one()


@pytest.fixture
def router(client, admin, demo_llm):
    """An OpenRouter-style provider on the demo server that answers only with KEY, added through the page."""
    response = client.post("/admin/providers", data={
        "name": "Router", "base_url": f"{demo_llm}/catalog/openrouter,keyhash={KEY_HASH}/v1", "api_key": KEY})
    assert response.status_code == 302 and "/admin/models?provider=router" in response.headers["Location"]
    return db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "router")).scalar_one()


def test_the_first_user_administers_and_the_next_does_not(client, auth, runner):
    auth.signup("Ann Lee", "ann@example.com")
    auth.logout()
    auth.signup("Bob Stone", "bob@example.com")
    users = {u.email: u.is_admin for u in db.session.execute(sa.select(User)).scalars()}
    assert users == {"ann@example.com": True, "bob@example.com": False}
    assert 'id="admin-link"' not in client.get("/chats").data.decode()
    assert client.get("/admin/providers").status_code == 404
    created = runner.invoke(args=["users", "create", "--email", "cy@example.com", "--name", "Cy",
                                  "--password", "correct horse battery", "--admin"])
    assert "as an administrator" in created.output
    assert db.session.execute(sa.select(User.is_admin).where(User.email == "cy@example.com")).scalar_one()


def test_adding_a_provider_stores_its_key_encrypted_and_lists_its_models_switched_off(client, router):
    assert router.added_by_admin and router.name == "Router"
    assert router.api_key_encrypted and KEY not in router.api_key_encrypted
    assert secret_files.decrypt(router.api_key_encrypted) == KEY
    rows = db.session.execute(sa.text("SELECT * FROM llm_providers")).all()
    assert not any(KEY in str(value) for row in rows for value in row)
    models = db.session.execute(sa.select(LlmModel).where(LlmModel.provider_id == router.id)).scalars().all()
    assert len(models) == 17 and not any(m.enabled for m in models)
    for path in ("/admin/providers", "/admin/models", "/admin/models?provider=router", "/chats", "/usage"):
        page = client.get(path).data.decode()
        assert KEY not in page and KEY[:12] not in page, path
    providers_page = client.get("/admin/providers").data.decode()
    assert "entered here, stored encrypted" in providers_page and "17 models" in providers_page


def test_test_connection_lists_the_models_or_says_the_providers_own_error(client, router, demo_llm):
    answer = client.post(f"/admin/providers/{router.id}/test", headers=JSON).get_json()
    assert answer["ok"] and "Router answers: it lists 17 models" in answer["message"]
    assert "openai/gpt-4o-mini" in answer["models"]
    router.base_url = f"{demo_llm}/catalog/openrouter,keyhash=ffffffffffffffff/v1"  # another key than the one stored
    db.session.commit()
    answer = client.post(f"/admin/providers/{router.id}/test", headers=JSON).get_json()
    assert not answer["ok"] and "answered 401: Incorrect API key provided." in answer["error"]["message"]


def test_switching_two_models_on_offers_them_and_the_api_never_shows_the_key(client, router, admin):
    for model_id in ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4"):
        response = client.post("/admin/models/switch", data={"model_id": model_id, "on": "1",
                                                              "next": "/admin/models?provider=router"})
        assert response.status_code == 302 and response.headers["Location"] == "/admin/models?provider=router"
    chat = empty_chat(client, title="Routed")
    changed = client.post(f"/chats/{chat.id}/model", data={"model_id": "openai/gpt-4o-mini"}, headers=JSON)
    assert changed.status_code == 200, changed.get_json()
    token = client.post("/account/tokens", data={"name": "script"}, follow_redirects=True).data.decode()
    plain = token.split('id="new-token">')[1].split("<")[0]
    listed = client.get("/api/v1/models", headers={"Authorization": f"Bearer {plain}"}).get_json()
    assert {"openai/gpt-4o-mini", "anthropic/claude-sonnet-4"} <= {m["id"] for m in listed["models"]}
    assert KEY not in str(listed)
    assert client.post("/admin/models/switch", data={"model_id": "openai/text-embedding-3-small", "on": "1"},
                       follow_redirects=True).data.decode().count("embedding model: chats cannot use it") == 1


def test_a_price_set_by_hand_wins_over_the_provider_until_cleared(client, router):
    response = client.post("/admin/models/override", data={
        "model_id": "someone/unpriced-model", "input_price": "1.5", "output_price": "$2", "context_window": ""})
    assert response.status_code == 302
    model = db.session.get(LlmModel, "someone/unpriced-model")
    assert (float(model.input_price), float(model.output_price), model.price_source) == (1.5, 2.0, "admin")
    client.post(f"/admin/providers/{router.id}/refresh")
    db.session.expire_all()
    assert db.session.get(LlmModel, "someone/unpriced-model").price_source == "admin"
    refused = client.post("/admin/models/override", data={"model_id": "someone/unpriced-model", "input_price": "-1"},
                          follow_redirects=True).data.decode()
    assert "The input price must be zero or more" in refused
    client.post("/admin/models/override", data={"model_id": "someone/unpriced-model", "input_price": "",
                                                 "output_price": ""})
    client.post(f"/admin/providers/{router.id}/refresh")
    db.session.expire_all()
    model = db.session.get(LlmModel, "someone/unpriced-model")
    assert model.input_price is None and model.price_source is None and model.overrides is None


def test_removing_a_provider_forgets_its_key_and_keeps_the_models_chats_use(client, router):
    client.post("/admin/models/switch", data={"model_id": "openai/gpt-4o-mini", "on": "1"})
    chat = empty_chat(client, title="Routed", model_id="openai/gpt-4o-mini")
    response = client.post(f"/admin/providers/{router.id}/remove", follow_redirects=True)
    assert "Removed Router and its key; 16 of its models went with it" in response.data.decode()
    db.session.expire_all()
    kept = db.session.get(LlmModel, "openai/gpt-4o-mini")
    assert kept is not None and not kept.enabled and not kept.available
    assert kept.provider.removed_at is not None and kept.provider.api_key_encrypted is None
    assert db.session.get(LlmModel, "anthropic/claude-sonnet-4") is None
    page = client.get(f"/chats/{chat.id}").data.decode()
    assert "Router no longer offers OpenAI: GPT-4o-mini. Choose another model." in page
    assert client.post(f"/admin/providers/{router.id}/test").status_code == 404
    assert 'data-provider="router"' not in client.get("/admin/providers").data.decode()
    assert db.session.get(Chat, chat.id).model_id == "openai/gpt-4o-mini"


def test_a_provider_from_the_model_file_is_not_removed_from_the_browser(client, admin):
    demo = db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "demo")).scalar_one()
    response = client.post(f"/admin/providers/{demo.id}/remove", follow_redirects=True)
    assert "demo comes from the model file: remove it there." in response.data.decode()


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "X", "base_url": "ftp://example.com"}, "must be an http:// or https:// address"),
    ({"name": "X", "base_url": "https://example.com/v1", "api_key": "two words"}, "has spaces in it"),
    ({"name": "", "base_url": "https://example.com/v1"}, "Name the provider."),
])
def test_a_provider_that_cannot_be_right_is_refused_and_nothing_is_stored(client, admin, form, message):
    response = client.post("/admin/providers", data=form, follow_redirects=True)
    assert message in response.data.decode()
    assert db.session.execute(sa.select(sa.func.count(LlmProvider.id))).scalar_one() == 2  # demo, openai


def test_administrators_make_others_and_the_last_one_stays(client, auth, admin):
    auth.logout()
    auth.signup("Bob Stone", "bob@example.com")
    auth.logout()
    auth.login("ann@example.com")
    response = client.post("/admin/admins", data={"email": "bob@example.com"}, follow_redirects=True)
    assert "Bob Stone is now an administrator." in response.data.decode()
    bob = db.session.execute(sa.select(User).where(User.email == "bob@example.com")).scalar_one()
    client.post(f"/admin/admins/{bob.id}/remove")
    db.session.expire_all()
    assert not bob.is_admin
    response = client.post(f"/admin/admins/{admin.id}/remove", follow_redirects=True)
    assert "Confab needs at least one administrator" in response.data.decode()
    assert db.session.get(User, admin.id).is_admin


def test_without_a_configured_secret_the_encryption_key_is_made_once_and_owner_only(app, tmp_path):
    path = tmp_path / "instance" / "provider-keys.secret"
    app.config.update(PROVIDER_KEYS_SECRET=None, PROVIDER_KEYS_SECRET_FILE=str(path))
    token = secret_files.encrypt("sk-test")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_bytes()
    assert secret_files.decrypt(token) == "sk-test" and secret_files.encrypt("again") and path.read_bytes() == first
    app.config["PROVIDER_KEYS_SECRET"] = "2mHvS1vN4Jm8mY1bqvH0oK9qkq6b3cW7a1fXcYV2Wk0="
    with pytest.raises(secret_files.SecretUnreadable, match="Enter the provider's key again"):
        secret_files.decrypt(token)


def test_the_first_user_is_offered_a_provider_or_the_demo_and_a_demo_chat_says_so(client, auth):
    response = auth.signup("Ann Lee", "ann@example.com")
    assert response.headers["Location"] == "/admin/welcome"
    page = client.get("/admin/welcome").data.decode()
    assert "Connect a provider" in page and 'id="continue-with-demo"' in page
    chat = empty_chat(client, title="Trying")
    page = client.get(f"/chats/{chat.id}").data.decode()
    note = page.split('id="demo-note"')[1].split("</p>")[0]
    assert "hidden" not in note.split(">")[0] and "This chat is on a demo model" in note
    assert "Connect a real provider" in note
    auth.logout()
    assert auth.signup("Bob Stone", "bob@example.com").headers["Location"] == "/chats"
