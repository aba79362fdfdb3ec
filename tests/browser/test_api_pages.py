"""The API's pages in headless Chromium (issue 10): the chat menu exports the conversation,
the reference page renders the OpenAPI document, and a token from the tokens page works."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.sync_api import expect


def test_the_chat_menu_exports_markdown_and_json(people, ann, stack):
    chat_id = ann.new_chat("Export me")
    reply = ann.say(chat_id, "Say something exportable [[chunks:5]]")["assistant_message"]["id"]
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    expect(person.page.locator(f"#message-{reply}")).to_have_attribute("data-status", "completed", timeout=20_000)
    person.page.click("#export-menu summary")
    expect(person.page.locator("#export-menu ul")).to_be_visible()
    person.screenshot("export-menu")
    with person.page.expect_download() as markdown:
        person.page.click("#export-menu a[href$='format=md']")
    assert markdown.value.suggested_filename == f"confab-{chat_id}-export-me.md"
    text = Path(markdown.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# Export me\n") and "Say something exportable" in text
    person.page.locator("#export-menu").evaluate("menu => { menu.open = true; }")
    with person.page.expect_download() as as_json:
        person.page.click("#export-menu a[href$='format=json']")
    data = json.loads(Path(as_json.value.path()).read_text(encoding="utf-8"))
    assert data["chat"]["id"] == chat_id and data["messages"][-1]["id"] == reply


def test_a_token_made_on_the_tokens_page_reads_chats_and_the_reference_explains_it(people, stack):
    person = people("bob@example.com")
    person.page.goto(f"{stack.web_url}/account/tokens")
    person.page.fill("#name", "laptop script")
    person.page.click("button:has-text('Create token')")
    token = person.page.locator("#new-token").inner_text().strip()
    assert token.startswith("cfb_")
    chats = httpx.get(f"{stack.web_url}/api/v1/chats", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert chats.status_code == 200 and "chats" in chats.json()

    person.page.click("a:has-text('API reference')")
    person.page.wait_for_url("**/api/docs")
    expect(person.page.locator("h1")).to_contain_text("Confab API")
    events = person.page.locator("#get--api-v1-chats-chat_id-events")
    expect(events).to_contain_text("Last-Event-ID")
    expect(events).to_contain_text("text/event-stream")
    person.page.click("a[href='#get--api-v1-chats-chat_id-events']")
    person.screenshot("api-reference")
    wide = person.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert wide, "the reference page scrolls sideways"
