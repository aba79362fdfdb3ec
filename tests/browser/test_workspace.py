"""The chat workspace in headless Chromium: sidebar, header, Markdown while streaming, local
times, confirmations, presence, the phone layout and the dark theme (issue 12)."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import TIME_ZONE
from tests.support.html_safety import executable_parts
from tests.support.xss import XSS_CORPUS

TABLE_AND_CODE = """Compare them:

| queue | cost |
|:--|--:|
| rq | low |

```python
def greet(name):
    return "hi " + name
```
"""


def sidebar_titles(person) -> list[str]:
    return person.page.locator("#chat-nav-list .chat-nav-item a").all_inner_texts()


def test_new_chat_reaches_another_members_sidebar_with_its_first_message(people, ann, stack):
    ann.new_chat("Older chat")
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    watched = ann.new_chat("Bob is here")
    ann.say(watched, "hello")
    bob_page.open_chat(f"{stack.web_url}/chats/{watched}")
    expect(bob_page.page.locator("#chat-nav-list .chat-nav-group").first).to_have_text("Today")

    ann_page.page.click("#new-chat")  # an empty composer: nothing is stored, nothing piles up
    ann_page.page.wait_for_url(re.compile(r".*/chats$"))
    expect(ann_page.page.locator("#composer-input")).to_be_focused()
    expect(ann_page.page.locator("#model_id")).to_have_value("demo-chat")
    ann_page.screenshot("new-chat-composer")
    with ann_page.page.expect_navigation():  # the same page again, loaded afresh
        ann_page.page.click("#new-chat")
    listed = ann.http.get(f"{stack.web_url}/chats", headers={"Accept": "application/json"}, timeout=10).json()
    assert [c["chat_id"] for c in listed["chats"]][:1] == [watched]  # still no new chat anywhere

    ann_page.page.fill("#composer-input", "Our first question")
    ann_page.page.keyboard.press("Enter")
    ann_page.page.wait_for_url(re.compile(r".*/chats/\d+$"))  # stored with its first message, and opened
    ann_page.page.wait_for_selector("#connection:text('live')")
    new_id = int(ann_page.page.url.rsplit("/", 1)[1])
    expect(ann_page.page.locator("article.message.role-user")).to_have_count(1)
    expect(ann_page.page.locator("article.message.role-assistant")).to_have_attribute(
        "data-status", "completed", timeout=20_000)
    bob_item = bob_page.page.locator(f"#chat-nav-list [data-chat-id='{new_id}']")
    expect(bob_item).to_be_visible()  # live, with the first message
    assert sidebar_titles(bob_page)[0] in ("New chat", "Our first question")

    ann_page.page.fill("#chat-search", "older")
    expect(ann_page.page.locator("#chat-nav-list .chat-nav-item")).to_have_count(1)
    expect(ann_page.page.locator("#chat-nav-list .chat-nav-item")).to_have_text("Older chat")
    ann_page.page.fill("#chat-search", "")
    expect(ann_page.page.locator(f"#chat-nav-list [data-chat-id='{new_id}']")).to_be_visible()


def test_rename_in_place_and_model_change_reach_the_other_member_without_reload(people, ann, stack):
    chat_id = ann.new_chat("Draft title")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    ann_page.open_chat(url)
    bob_page.open_chat(url)
    bob_page.page.evaluate("window.__sameDocument = true")

    ann_page.page.click("#chat-title")
    ann_page.page.fill("#rename-input", "Launch plan")
    ann_page.page.keyboard.press("Enter")
    expect(ann_page.page.locator("#chat-title")).to_have_text("Launch plan")
    expect(bob_page.page.locator("#chat-title")).to_have_text("Launch plan")
    expect(bob_page.page.locator(f"#chat-nav-list [data-chat-id='{chat_id}']")).to_have_text("Launch plan")
    expect(bob_page.page).to_have_title("Launch plan · Confab")

    ann_page.page.click("#model-chip")
    picker = ann_page.page.locator("#model-dialog")
    expect(picker).to_be_visible()
    expect(picker.locator(".model-option")).to_have_count(2)
    expect(picker).to_contain_text("per 1M tokens")
    picker.locator(".model-option[data-model-id='demo-fast']").click()
    expect(picker).to_be_hidden()
    expect(ann_page.page.locator("#model-chip-name")).to_have_text("Demo fast")
    expect(bob_page.page.locator("#model-chip-name")).to_have_text("Demo fast")

    ann_page.page.click("#open-instructions")
    ann_page.page.fill("#instructions", "Answer like a pirate.")
    ann_page.page.click("#instructions-form button[type=submit]")
    expect(ann_page.page.locator("#instructions-status")).to_have_text("Saved.")
    expect(bob_page.page.locator("#instructions")).to_have_value("Answer like a pirate.")

    assert bob_page.page.evaluate("window.__sameDocument") is True  # no reload happened
    assert ann_page.page.locator(".flashes").count() == 0
    stored = ann.http.get(f"{stack.web_url}/chats/{chat_id}", timeout=10).text
    assert "Launch plan" in stored and 'data-model-id="demo-fast"' in stored


def test_markdown_table_and_code_render_while_streaming_and_code_copies(people, ann, stack):
    chat_id = ann.new_chat("Markdown")
    person = people("ann@example.com", permissions=["clipboard-read", "clipboard-write"])
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    person.page.fill("#composer-input", TABLE_AND_CODE + "\n[[slow:40]] [[chunks:200]]")
    person.page.keyboard.press("Enter")
    reply = person.page.locator("article.message.role-assistant").last
    expect(reply.locator(".content table td").first).to_have_text("rq", timeout=10_000)
    expect(reply.locator(".content .code-block .code-language")).to_have_text("python")
    assert reply.get_attribute("data-status") == "streaming"
    expect(person.page.locator("#stop")).to_be_visible()
    expect(person.page.locator("#send")).to_be_hidden()
    person.screenshot("chat-streaming-markdown")

    expect(reply).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(reply.locator(".content table td[align=right]")).to_have_text("low")
    expect(reply.locator(".content pre code .k").first).to_have_text("def")  # Pygments on the server
    expect(person.page.locator("#send")).to_be_visible()
    reply.locator(".code-head button").click()
    expect(reply.locator(".code-head button")).to_have_text("Copied")
    copied = person.page.evaluate("navigator.clipboard.readText()")
    assert copied == 'def greet(name):\n    return "hi " + name\n'
    # "Copy" on the reply gives its Markdown, as stored: the table stays a table (issue 32).
    reply.locator("[data-action=copy-message]").click()
    expect(reply.locator("[data-action=copy-message]")).to_contain_text("Copied")
    stored = [m for m in ann.messages(chat_id) if m["role"] == "assistant"][-1]["content"]
    assert person.page.evaluate("navigator.clipboard.readText()") == stored and "| rq |" in stored
    person.page.reload()
    person.page.locator("article.message.role-assistant").last.locator("[data-action=copy-message]").click()
    expect(person.page.locator("article.message.role-assistant").last.locator("[data-action=copy-message]")
           ).to_contain_text("Copied")
    assert person.page.evaluate("navigator.clipboard.readText()") == stored


def test_times_are_shown_in_the_viewers_time_zone(people, ann, stack):
    chat_id = ann.new_chat("Clock")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    person.page.fill("#composer-input", "What time is it?")
    person.page.keyboard.press("Enter")
    expect(person.page.locator("article.message.role-assistant")).to_have_attribute("data-status", "completed", timeout=20_000)
    person.page.reload()
    person.page.wait_for_selector("#connection:text('live')")
    first = person.page.locator("article.message time").first
    expect(first).to_have_text(re.compile(r"just now|\d+ min ago"))
    stamp = datetime.fromisoformat(first.get_attribute("datetime")).astimezone(ZoneInfo(TIME_ZONE))
    shown = first.get_attribute("title")
    local_clock = stamp.strftime("%I:%M").lstrip("0")
    assert local_clock in shown, (local_clock, shown)
    assert "UTC" not in person.page.locator("#messages").inner_text()


def test_deleting_a_chat_asks_first_and_other_sidebars_drop_it(people, ann, stack):
    chat_id = ann.new_chat("Doomed")
    ann.say(chat_id, "one message to lose")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    ann_page.open_chat(url)
    bob_page.open_chat(f"{stack.web_url}/chats/{ann.new_chat('Elsewhere')}")
    expect(bob_page.page.locator(f"#chat-nav-list [data-chat-id='{chat_id}']")).to_be_visible()

    ann_page.page.click("#delete-chat")
    dialog = ann_page.page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("“Doomed” and all of its 2 messages will be deleted")
    dialog.locator("button[value=cancel]").click()
    # Renamed and asked again since the page loaded: the dialog says so (issue 32).
    ann.post(f"/chats/{chat_id}/rename", data={"title": "Doomed plans"})
    expect(ann_page.page.locator("#chat-title")).to_have_text("Doomed plans")
    ann_page.page.fill("#composer-input", "a second question")
    ann_page.page.click("#send")
    expect(ann_page.page.locator("#messages article.message")).to_have_count(4)
    ann_page.page.click("#delete-chat")
    expect(dialog).to_contain_text("“Doomed plans” and all of its 4 messages will be deleted")
    dialog.locator("button[value=cancel]").click()
    expect(dialog).to_be_hidden()
    assert ann.http.get(url, timeout=10).status_code == 200

    ann_page.page.click("#delete-chat")
    dialog.locator("#confirm-ok").click()
    ann_page.page.wait_for_url("**/chats")
    expect(ann_page.page.locator(".flash-success")).to_contain_text("Deleted “Doomed plans”")
    expect(bob_page.page.locator(f"#chat-nav-list [data-chat-id='{chat_id}']")).to_have_count(0)
    assert ann.http.get(url, timeout=10).status_code == 404
    assert ann_page.dialogs == []  # never window.confirm()


def test_presence_typing_and_a_draft_that_survives_reload(people, ann, stack):
    chat_id = ann.new_chat("Room")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    ann_page.open_chat(url)
    bob_page.open_chat(url)
    expect(ann_page.page.locator("#presence .avatar")).to_have_count(2)
    expect(ann_page.page.locator("#presence")).to_have_attribute("aria-label", re.compile("Bob"))

    bob_page.page.type("#composer-input", "I am thinking about")
    expect(ann_page.page.locator("#typing-indicator")).to_have_text(re.compile(r"^Bob .* is typing…$"))
    expect(bob_page.page.locator("#typing-indicator")).to_have_text("")
    bob_page.page.reload()
    bob_page.page.wait_for_selector("#connection:text('live')")
    expect(bob_page.page.locator("#composer-input")).to_have_value("I am thinking about")

    bob_page.page.close()
    expect(ann_page.page.locator("#presence .avatar")).to_have_count(1)


def test_text_typed_before_the_page_script_runs_is_kept(people, ann, stack):
    chat_id = ann.new_chat("Quick typist")
    person = people("ann@example.com")
    # Types into the composer the moment it is parsed, before the deferred page scripts run.
    person.page.add_init_script("""new MutationObserver((_, observer) => {
        const input = document.getElementById("composer-input");
        if (input) { input.value = "typed while the page loads"; observer.disconnect(); }
    }).observe(document, {childList: true, subtree: true});""")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    expect(person.page.locator("#composer-input")).to_have_value("typed while the page loads")


def test_phone_width_has_no_horizontal_scroll_and_the_sidebar_slides_in(people, ann, stack):
    chat_id = ann.new_chat("Phone")
    ann.say(chat_id, TABLE_AND_CODE + "\n" + "x" * 400)
    person = people("ann@example.com", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    expect(person.page.locator("article.message.role-assistant")).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(person.page.locator("#sidebar")).not_to_be_in_viewport()
    overflow = person.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    person.screenshot("chat-phone")
    person.page.locator(".chat-header [data-action=open-sidebar]").click()
    expect(person.page.locator("#sidebar")).to_be_in_viewport()
    expect(person.page.locator("#chat-nav-list .chat-nav-item.current")).to_have_text("Phone")
    person.page.wait_for_timeout(300)  # the slide-in transition
    person.screenshot("chat-phone-sidebar")


def test_dark_theme_follows_the_system_and_the_toggle(people, ann, stack):
    chat_id = ann.new_chat("Night")
    ann.say(chat_id, TABLE_AND_CODE)
    person = people("ann@example.com", color_scheme="dark")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    expect(person.page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = person.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark == "rgb(23, 24, 28)"
    expect(person.page.locator("article.message.role-assistant")).to_have_attribute("data-status", "completed", timeout=20_000)
    person.screenshot("chat-dark")
    person.page.locator("#sidebar [data-action=toggle-theme]").click()
    expect(person.page.locator("html")).to_have_attribute("data-theme", "light")
    person.page.reload()
    expect(person.page.locator("html")).to_have_attribute("data-theme", "light")  # the choice is kept
    person.page.wait_for_selector("#connection:text('live')")
    person.screenshot("chat-light")


def _rendered_live(people, ann, stack, corpus: list[str]):
    """Each text of ``corpus`` as the chat page's streaming renderer puts it into the page."""
    chat_id = ann.new_chat("Renderer")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    rendered = person.page.evaluate(
        """async (corpus) => {
            const { renderMarkdown } = await import('/static/js/markdown.js');
            const holder = document.createElement('div');
            document.body.append(holder);
            const out = [];
            for (const text of corpus) { holder.innerHTML = renderMarkdown(text); out.push(holder.innerHTML); }
            holder.remove();
            return out;
        }""",
        corpus,
    )
    return person, rendered


def test_the_streaming_renderer_keeps_nothing_executable_from_the_xss_corpus(people, ann, stack):
    person, rendered = _rendered_live(people, ann, stack, XSS_CORPUS)
    assert len(rendered) == len(XSS_CORPUS)
    for payload, html in zip(XSS_CORPUS, rendered):
        assert executable_parts(html) == [], (payload, html)
        assert "<img" not in html or 'src="data:' not in html
    person.page.wait_for_timeout(300)  # any onerror/onload would have fired by now
    assert person.dialogs == [] and person.errors == []


def test_the_streaming_renderer_shows_only_this_apps_attachments_as_images(people, ann, stack):
    _, rendered = _rendered_live(people, ann, stack,
                                 ["![pixel](https://tracker.example/p.png)", "![x](/chats/1)", "![chart](/attachments/42)"])
    assert "<img" not in rendered[0] and 'href="https://tracker.example/p.png"' in rendered[0] and ">pixel</a>" in rendered[0]
    assert "<img" not in rendered[1] and 'href="/chats/1"' in rendered[1]
    assert '<img src="/attachments/42" alt="chart">' in rendered[2]


# Back to the top of the page, as after a load without the composer's autofocus.
TOP_OF_THE_PAGE = """() => {
    document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute("tabindex"); }"""


def test_the_workspace_works_with_the_keyboard_alone(people, ann, stack):
    person = people("ann@example.com")
    page = person.page
    page.goto(f"{stack.web_url}/chats")
    expect(page.locator("#composer-input")).to_be_focused()  # the home page is ready to type
    page.evaluate(TOP_OF_THE_PAGE)
    for _ in range(15):  # Tab through the page until "New chat" has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "new-chat":
            break
    assert page.evaluate("document.activeElement.id") == "new-chat"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()  # ready to type
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/chats/\d+$"))
    page.wait_for_selector("#connection:text('live')")
    expect(page.locator("article.message.role-assistant")).to_have_attribute("data-status", "completed", timeout=20_000)
    page.focus("#model-chip")
    page.keyboard.press("Enter")
    expect(page.locator("#model-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#model-dialog")).to_be_hidden()
    page.focus("#chat-title")
    page.keyboard.press("Enter")
    page.keyboard.type("Keyboard only")
    page.keyboard.press("Enter")
    expect(page.locator("#chat-title")).to_have_text("Keyboard only")


def test_the_keyboard_reaches_everything_a_mouse_does(people, ann, stack):
    chat_id = ann.new_chat("Keys")
    ann.say(chat_id, "hello keys")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    page = person.page
    page.evaluate(TOP_OF_THE_PAGE)
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()

    page.locator("body").click(position={"x": 600, "y": 200})
    page.keyboard.press("?")
    sheet = page.locator("#shortcuts-dialog")
    expect(sheet).to_be_visible()
    person.screenshot("shortcut-sheet")
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()

    page.keyboard.press("Control+k")
    expect(page.locator("#chat-search")).to_be_focused()
    page.keyboard.press("Shift+Escape")
    expect(page.locator("#composer-input")).to_be_focused()

    page.fill("#composer-input", "A long answer please [[slow:100]] [[chunks:100]]")
    page.keyboard.press("Enter")
    reply = page.locator("article.message.role-assistant").last
    expect(reply).to_have_attribute("data-status", "streaming", timeout=10_000)
    expect(reply.locator(".meta .model")).to_have_text("Demo chat")  # the model's name, not its id
    expect(page.locator("#composer-input")).to_be_focused()  # focus stays where the person types
    page.keyboard.press("Escape")
    expect(reply).to_have_attribute("data-status", "cancelled", timeout=10_000)

    page.keyboard.press("Control+Shift+O")
    page.wait_for_url(re.compile(r".*/chats$"))
    expect(page.locator("#composer-input")).to_be_focused()
