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


def _switch_tracker(owner, on: bool) -> None:
    response = owner.post(f"/accounts/{owner.account_id()}/mcp-servers",
                          data={"server": "tracker", "on": "1" if on else "0"})
    assert response.status_code == 200, response.text


def test_members_switch_a_chats_tools_and_both_watch_an_mcp_call_live(people, ann, stack):
    """Issue 33: Ann's account has the tracker (an MCP server) on; in the chat's Tools drawer Ann
    turns Confab's own tools off and Bob's drawer follows; Ann asks, and both see the tracker's
    call block run and end, with the server's name."""
    _switch_tracker(ann, True)
    try:
        chat_id = ann.new_chat("Triage")
        ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
        for person in (ann_page, bob_page):
            person.open_chat(f"{stack.web_url}/chats/{chat_id}")
            expect(person.page.locator("#tools-chip-count")).to_have_text("2")
        ann_page.page.click("#open-tools")
        drawer = ann_page.page.locator("#tools-drawer")
        expect(drawer.locator(".tool-group[data-group=tracker] .tool-group-name")).to_have_text("Issue tracker")
        ann_page.page.uncheck("#tools-drawer input[name=builtin]")
        expect(drawer.locator("#tools-status")).to_have_text("Saved: the next answer uses these tools.")
        ann_page.screenshot("chat-tools-drawer")
        expect(bob_page.page.locator("#tools-chip-count")).to_have_text("1")  # live, without a reload
        bob_page.page.click("#open-tools")
        expect(bob_page.page.locator("#tools-drawer input[name=builtin]")).not_to_be_checked()
        expect(bob_page.page.locator("#tools-drawer input[name=tracker]")).to_be_checked()
        expect(bob_page.page.locator("#tools-status")).to_have_text("Ann Lee changed the tools.")
        bob_page.page.keyboard.press("Escape")
        ann_page.page.keyboard.press("Escape")

        ann_page.page.fill("#composer-input", 'Any login bugs? [[tool:tracker__search_issues {"query": "login"}]] '
                                              '[[slow:40]]')
        ann_page.page.keyboard.press("Enter")
        for person in (ann_page, bob_page):
            call = person.page.locator("article.role-assistant .tool-call").first
            expect(call).to_be_visible(timeout=15_000)
            expect(call.locator(".tool-server")).to_have_text("Issue tracker")
            expect(call.locator(".tool-name")).to_have_text("search_issues")
            reply = person.page.locator("article.role-assistant").last
            expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
            expect(call.locator(".tool-state")).to_contain_text("done")
        call = bob_page.page.locator("article.role-assistant .tool-call").first
        call.locator("summary").click()
        expect(call.locator(".tool-result")).to_contain_text("3 open issues match “login”")
        bob_page.screenshot("mcp-tool-call")
        bob_page.page.reload()  # the stored call keeps its server's name
        expect(bob_page.page.locator("article.role-assistant .tool-call .tool-server").first).to_have_text("Issue tracker")
        ann_page.page.goto(f"{stack.web_url}/account")  # the owner's page: what the worker saw of the tracker
        tracker = ann_page.page.locator("#mcp-servers [data-server=tracker]")
        expect(tracker.locator(".server-state")).to_contain_text("connected · ")
        expect(tracker.locator(".tool-list")).to_contain_text("search_issues — Search the team's issues")
        tracker.scroll_into_view_if_needed()
        ann_page.screenshot("account-tools")
    finally:
        _switch_tracker(ann, False)
