"""The Admin pages in headless Chromium (issue 31): the administrator connects an
OpenRouter-style provider (the demo server, which answers only with the right key), tests
it, switches two of its models on, and a member talks to one; the key is stored encrypted
and shows in no page and no API answer."""
from __future__ import annotations

import hashlib

import pytest
import requests
import sqlalchemy as sa
from playwright.sync_api import expect

KEY = "sk-or-v1-browser-test-9f8e7d6c5b4a"
KEY_HASH = hashlib.sha256(KEY.encode()).hexdigest()[:16]
CHOSEN = ("openai/gpt-4o-mini", "meta-llama/llama-3.3-70b-instruct")


@pytest.fixture
def routed(stack):
    """Afterwards, the routed models are off again, as the other browser tests expect."""
    yield
    stack.flask("models", "disable", "*/*")


def test_an_administrator_connects_a_provider_and_a_member_talks_to_its_model(routed, people, ann, bob, stack):
    admin = people("ann@example.com")
    page = admin.page
    page.goto(f"{stack.web_url}/admin/providers")
    page.fill("#add-provider-form input[name=name]", "Router")
    page.fill("#add-provider-form input[name=base_url]", f"{stack.demo_url}/catalog/openrouter,keyhash={KEY_HASH}/v1")
    page.fill("#add-provider-form input[name=api_key]", KEY)
    page.click("#add-provider-form button[type=submit]")
    page.wait_for_url("**/admin/models?provider=router")
    expect(page.locator(".flash-success")).to_contain_text("Connected to Router: 17 models")
    expect(page.locator("#model-count")).to_contain_text("17 models")

    page.goto(f"{stack.web_url}/admin/providers")
    row = page.locator("tr[data-provider=router]")
    expect(row).to_contain_text("entered here, stored encrypted")
    row.get_by_role("button", name="Test connection").click()
    expect(row.locator("[data-test-result]")).to_contain_text("Router answers: it lists 17 models")
    admin.screenshot("admin-providers")

    page.goto(f"{stack.web_url}/admin/models?provider=router")
    for model_id in CHOSEN:
        page.locator(f"tr[data-model-id='{model_id}']").get_by_role("button", name="Switch on").click()
        expect(page.locator(f"tr[data-model-id='{model_id}'] .badge.on")).to_have_text("on")
    expect(page.locator("tr[data-model-id='someone/unpriced-model']")).to_contain_text("price unknown")
    admin.screenshot("admin-models")

    chat_id = ann.new_chat("Through the router")
    member = people("bob@example.com")
    member.open_chat(f"{stack.web_url}/chats/{chat_id}")
    member.page.click("#model-chip")
    member.page.keyboard.type("gpt-4o-mini")
    member.page.keyboard.press("Enter")
    expect(member.page.locator("#model-chip-name")).to_have_text("OpenAI: GPT-4o-mini")
    expect(member.page.locator("#demo-note")).to_be_hidden()
    member.page.fill("#composer-input", "Hello through the router")
    member.page.keyboard.press("Enter")
    reply = member.page.locator("article.message.role-assistant").last
    expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(reply).to_contain_text("Hello through the router")

    seen = [admin.page.content(), member.page.content()]
    for path in ("/admin/providers", "/admin/models?provider=router", f"/chats/{chat_id}"):
        admin.page.goto(f"{stack.web_url}{path}")
        seen.append(admin.page.content())
    token = stack.flask("tokens", "create", "bob@example.com", "--name", "admin test").strip()
    seen.append(requests.get(f"{stack.web_url}/api/v1/models", headers={"Authorization": f"Bearer {token}"},
                             timeout=10).text)
    assert not any(KEY in text for text in seen)
    with stack.database() as connection:
        stored = [str(value) for row in connection.execute(sa.text("SELECT * FROM llm_providers")) for value in row]
    assert not any(KEY in value for value in stored)
    assert any(value.startswith("gAAAA") for value in stored)  # a Fernet token
