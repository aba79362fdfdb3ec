"""Pictures in headless Chromium (issue 9): a member asks for a picture with the toggle, then
with ``/image``, and both members see each picture appear in the chat."""
from __future__ import annotations

from playwright.sync_api import expect


def test_a_picture_asked_for_with_the_toggle_appears_for_both_members(people, ann, stack):
    chat_id = ann.new_chat("Pictures")
    url = f"{stack.web_url}/chats/{chat_id}"
    asker, watcher = people("ann@example.com"), people("bob@example.com")
    asker.open_chat(url)
    watcher.open_chat(url)
    asker.page.click("#image-toggle")
    expect(asker.page.locator("#image-toggle")).to_have_attribute("aria-pressed", "true")
    expect(asker.page.locator("#composer-input")).to_have_attribute("placeholder", "Describe the picture…")
    asker.page.fill("#composer-input", "a green meadow")
    asker.page.keyboard.press("Enter")
    for person in (asker, watcher):
        reply = person.page.locator("article.role-assistant").last
        expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
        picture = reply.locator(".attachment.kind-image img.thumb")
        expect(picture).to_be_visible()
        person.page.wait_for_function(
            "() => { const img = document.querySelector('article.role-assistant .attachment img'); "
            "return img && img.complete && img.naturalWidth === 64; }", timeout=10_000)
        expect(person.page.locator("article.role-user").last).to_contain_text("/image a green meadow")
    expect(asker.page.locator("#image-toggle")).to_have_attribute("aria-pressed", "false")
    watcher.screenshot("image-reply")
    # The command works without the toggle.
    asker.page.fill("#composer-input", "/image a blue boat")
    asker.page.keyboard.press("Enter")
    for person in (asker, watcher):
        expect(person.page.locator("article.role-assistant")).to_have_count(2, timeout=10_000)
        reply = person.page.locator("article.role-assistant").last
        expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
        expect(reply.locator(".attachment.kind-image img.thumb")).to_be_visible()
        expect(reply.locator(".content")).to_have_text("a blue boat")
