"""Tool calls in headless Chromium (issue 9): a member watching sees the call appear while it
runs, opens it to read the arguments and the result, and the answer follows; after a reload
the block is still there."""
from __future__ import annotations

from playwright.sync_api import expect


def test_a_member_sees_a_tool_call_appear_expands_it_and_reads_the_answer(people, ann, stack):
    chat_id = ann.new_chat("Arithmetic")
    watcher = people("bob@example.com")
    watcher.open_chat(f"{stack.web_url}/chats/{chat_id}")
    ann.say(chat_id, 'How much is 12 squared? [[tool:calculator {"expression": "12**2"}]] [[slow:40]]')
    call = watcher.page.locator("article.role-assistant .tool-call").first
    expect(call).to_be_visible(timeout=15_000)
    expect(call.locator(".tool-name")).to_have_text("calculator")
    reply = watcher.page.locator("article.role-assistant").last
    expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(call.locator(".tool-state")).to_contain_text("done")
    call.locator("summary").click()
    expect(call.locator(".tool-arguments")).to_contain_text('"expression": "12**2"')
    expect(call.locator(".tool-result")).to_have_text("144")
    expect(reply.locator(".content")).to_contain_text("The tool answered: 144.")
    watcher.screenshot("tool-call")
    watcher.page.reload()
    stored = watcher.page.locator("article.role-assistant .tool-call").first
    expect(stored.locator(".tool-name")).to_have_text("calculator")
    stored.locator("summary").click()
    expect(stored.locator(".tool-result")).to_have_text("144")
