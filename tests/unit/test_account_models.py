"""The models an account offers (issue 31): owners choose which of the enabled chat models
people in their account can use and the one new chats start on; every enabled model by default."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Chat
from tests.support.chats import empty_chat

JSON = {"X-Requested-With": "fetch", "Accept": "application/json"}


def _account() -> Account:
    db.session.expire_all()
    return db.session.execute(sa.select(Account)).scalar_one()


def test_an_account_offers_every_enabled_model_until_its_owners_choose(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    account = _account()
    assert account.offered_models is None and account.default_model_id is None
    page = client.get(f"/accounts/{account.id}").data.decode()
    assert 'id="account-models-form"' in page and re.search(r'<input checked[^>]*value="all"', page)
    home = client.get("/chats").data.decode()
    assert 'selected value="demo-chat"' in home and 'value="demo-fast"' in home


def test_owners_choose_the_models_and_the_default_and_every_page_follows(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    account = _account()
    old_chat = empty_chat(client, title="On demo chat")
    saved = client.post(f"/accounts/{account.id}/models", data={
        "offer": "chosen", "model_ids": ["demo-fast"], "default_model_id": "demo-fast"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#models")
    assert (_account().offered_models, _account().default_model_id) == (["demo-fast"], "demo-fast")
    assert "Models saved." in client.get(f"/accounts/{account.id}").data.decode()

    home = client.get("/chats").data.decode()
    assert 'selected value="demo-fast"' in home and 'value="demo-chat"' not in home
    started = client.post("/chats", data={"content": "Hello"}, headers=JSON)
    assert started.status_code == 202, started.get_json()
    assert db.session.get(Chat, started.get_json()["chat_id"]).model_id == "demo-fast"

    page = client.get(f"/chats/{old_chat.id}").data.decode()
    assert "Bob Stone&#39;s account does not offer Demo chat. Choose another model." in page
    assert 'data-model-id="demo-chat"' not in page.split('id="model-dialog"')[1].split("</dialog>")[0]
    refused = client.post(f"/chats/{old_chat.id}/messages", data={"content": "Still there?"}, headers=JSON)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == \
        "Bob Stone's account does not offer Demo chat. Choose another model."
    assert client.post(f"/chats/{old_chat.id}/model", data={"model_id": "demo-chat"},
                       headers=JSON).status_code == 422


def test_a_default_the_account_does_not_offer_is_refused_and_nothing_changes(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    account = _account()
    response = client.post(f"/accounts/{account.id}/models", data={
        "offer": "chosen", "model_ids": ["demo-chat"], "default_model_id": "demo-fast"}, follow_redirects=True)
    assert "Demo fast is the default, so the account must offer it." in response.data.decode()
    assert _account().offered_models is None
    response = client.post(f"/accounts/{account.id}/models", data={"offer": "chosen", "default_model_id": ""},
                           follow_redirects=True)
    assert "Choose at least one model, or offer every enabled model." in response.data.decode()
    response = client.post(f"/accounts/{account.id}/models", data={
        "offer": "chosen", "model_ids": ["gpt-4o"], "default_model_id": ""}, follow_redirects=True)
    assert "Reload the page" in response.data.decode() and _account().offered_models is None


def test_offering_every_model_again_forgets_the_list(client, auth):
    auth.signup("Bob Stone", "bob@example.com")
    account = _account()
    client.post(f"/accounts/{account.id}/models", data={"offer": "chosen", "model_ids": ["demo-fast"],
                                                        "default_model_id": ""})
    assert _account().offered_models == ["demo-fast"]
    client.post(f"/accounts/{account.id}/models", data={"offer": "all", "model_ids": ["demo-fast"],
                                                        "default_model_id": "demo-chat"})
    assert (_account().offered_models, _account().default_model_id) == (None, "demo-chat")
