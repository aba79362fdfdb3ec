"""Two people on one chat page in headless Chromium (SPEC §5, §8)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support.html_safety import executable_parts
from tests.support.xss import XSS_CORPUS


def reply_selector(page) -> str:
    last = page.locator("article.message.role-assistant").last
    return f"#{last.get_attribute('id')}"


def test_two_members_see_the_answer_stream_in_and_complete(people, ann, stack):
    chat_id = ann.new_chat("Browser room")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    ann_page.open_chat(url)
    bob_page.open_chat(url)

    ann_page.page.fill("#composer-input", "Plan the offsite **agenda** [[slow:20]] [[chunks:40]]")
    ann_page.page.keyboard.press("Enter")

    for person in (ann_page, bob_page):
        page = person.page
        expect(page.locator("article.message.role-user").last).to_contain_text("Plan the offsite **agenda**")  # as typed
        expect(page.locator("article.message.role-user .author").last).to_have_text("Ann Lee")
        reply = page.locator("article.message.role-assistant").last
        expect(reply.locator(".typing")).to_be_visible()
        expect(reply.locator(".content")).to_contain_text("You said", timeout=10_000)
        expect(reply.locator(".status")).to_have_text("streaming")
        expect(page.locator("#sidebar .switcher-name")).to_have_text("Ann Lee's account")
    bob_reply = bob_page.page.locator("article.message.role-assistant").last
    streaming_text = bob_reply.locator(".content").inner_text()
    expect(bob_reply).to_have_attribute("data-status", "completed", timeout=20_000)
    for person in (ann_page, bob_page):
        reply = person.page.locator("article.message.role-assistant").last
        expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
        expect(reply.locator(".content blockquote")).to_contain_text("Plan the offsite")
        expect(reply.locator(".content blockquote strong")).to_have_text("agenda")
        expect(reply.locator(".usage")).to_contain_text(" out")
        expect(reply.locator("[data-action=cancel]")).to_be_hidden()
    stored = [m for m in ann.messages(chat_id) if m["role"] == "assistant"][-1]
    assert len(streaming_text) < len(stored["content"])
    assert ann_page.page.locator("#composer-input").input_value() == ""
    bob_page.screenshot("two-members-bob")


def test_model_output_with_script_and_handlers_stays_harmless_live_and_completed(people, ann, stack):
    chat_id = ann.new_chat("XSS")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    payload = "\n".join(XSS_CORPUS) + "\n[[slow:40]] [[chunks:30]]"
    person.page.fill("#composer-input", payload)
    person.page.click("#send")
    reply = person.page.locator("article.message.role-assistant").last
    expect(reply.locator(".content")).to_contain_text("<script>", timeout=10_000)
    assert reply.get_attribute("data-status") in ("pending", "streaming")
    live_html = reply.locator(".content").inner_html()
    assert executable_parts(live_html) == []
    expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
    done_html = reply.locator(".content").inner_html()
    assert executable_parts(done_html) == []
    expect(reply.locator(".content")).to_contain_text('<script>alert("script")</script>')
    assert person.page.locator("#messages script, #messages img[onerror]").count() == 0
    hrefs = person.page.locator("#messages a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert not any((h or "").lower().startswith("javascript:") for h in hrefs)
    person.page.reload()
    person.page.wait_for_selector("#connection:text('live')")
    assert executable_parts(person.page.locator("#messages").inner_html()) == []
    assert person.dialogs == []


def test_a_reload_mid_stream_continues_without_loss_or_duplication(people, ann, stack):
    chat_id = ann.new_chat("Reload")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    person.page.fill("#composer-input", "Reload me halfway [[slow:40]] [[chunks:80]]")
    person.page.click("#send")
    reply = person.page.locator("article.message.role-assistant").last
    expect(reply.locator(".content")).to_contain_text("Reload me", timeout=10_000)
    person.page.reload()
    person.page.wait_for_selector("#connection:text('live')")
    reply = person.page.locator("article.message.role-assistant").last
    expect(reply).to_have_attribute("data-status", "completed", timeout=30_000)
    stored = [m for m in ann.messages(chat_id) if m["role"] == "assistant"][-1]
    assert stored["status"] == "completed"
    shown = reply.locator(".content").inner_text()
    assert shown.count("Reload me halfway") == 1
    assert "word79" in shown and shown.count("word79") == 1


def test_any_member_can_stop_a_streaming_answer(people, ann, stack):
    chat_id = ann.new_chat("Stop")
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page.open_chat(url)
    bob_page.open_chat(url)
    ann_page.page.fill("#composer-input", "Go on forever [[slow:60]] [[chunks:300]]")
    ann_page.page.click("#send")
    bob_reply = bob_page.page.locator("article.message.role-assistant").last
    expect(bob_reply.locator(".content")).to_contain_text("You said", timeout=10_000)
    bob_reply.locator("[data-action=cancel]").click()
    for person in (ann_page, bob_page):
        reply = person.page.locator("article.message.role-assistant").last
        expect(reply).to_have_attribute("data-status", "cancelled", timeout=10_000)
        expect(reply.locator(".status")).to_have_text("cancelled")
    stored = [m for m in ann.messages(chat_id) if m["role"] == "assistant"][-1]
    assert stored["status"] == "cancelled" and stored["content"].startswith("You said")
    ann_page.page.fill("#composer-input", "still usable")
    ann_page.page.click("#send")
    expect(ann_page.page.locator("article.message.role-assistant").last).to_have_attribute(
        "data-status", "completed", timeout=20_000)


def block_layout(page, message_id: int) -> dict:
    return page.eval_on_selector(f"#message-{message_id} .content", """content => ({
        whiteSpace: getComputedStyle(content).whiteSpace, height: content.getBoundingClientRect().height,
        classes: content.className})""")


def test_a_reply_completing_after_a_mid_stream_join_is_laid_out_as_after_a_reload(people, ann, stack):
    chat_id = ann.new_chat("Gaps")
    reply_id = ann.say(chat_id, "Lists [[slow:60]] [[chunks:40]]\n\n- one\n- two\n\n```python\nx = 1\n```\n\nThe end.")[
        "assistant_message"]["id"]
    person = people("bob@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")  # joins while the reply streams
    reply = person.page.locator(f"#message-{reply_id}")
    expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
    live = block_layout(person.page, reply_id)
    person.page.reload()
    expect(reply).to_have_attribute("data-status", "completed")
    reloaded = block_layout(person.page, reply_id)
    assert live["whiteSpace"] == reloaded["whiteSpace"] == "normal", (live, reloaded)
    assert abs(live["height"] - reloaded["height"]) < 2, (live, reloaded)
    expect(reply.locator(".meta .model")).to_have_text("Demo chat")
