"""Attachments in headless Chromium (issue 8): files picked in the composer show as chips,
go with the message, and both members see the picture and the document; a refused file is
named before anything is sent."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support import files


def test_an_image_and_a_pdf_picked_in_the_composer_reach_both_members_and_the_model(people, ann, stack):
    chat_id = ann.new_chat("Files in the browser")
    url = f"{stack.web_url}/chats/{chat_id}"
    sender, watcher = people("ann@example.com"), people("bob@example.com")
    sender.open_chat(url)
    watcher.open_chat(url)
    page = sender.page
    page.set_input_files("#attach-input", files=[
        {"name": "chart.png", "mimeType": "image/png", "buffer": files.png(size=48)},
        {"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": files.pdf(["Minutes of the meeting"])},
    ])
    chips = page.locator("#pending-files .pending-file")
    expect(chips).to_have_count(2)
    expect(chips.nth(0).locator("img.thumb")).to_be_visible()
    expect(chips.nth(1)).to_contain_text("minutes.pdf")
    page.fill("#composer-input", "What do these show?")
    sender.screenshot("attachments-composer")
    page.keyboard.press("Enter")
    expect(chips).to_have_count(0)

    for person in (sender, watcher):
        user_turn = person.page.locator("article.role-user").last
        expect(user_turn.locator(".attachment.kind-image img.thumb")).to_be_visible(timeout=10_000)
        expect(user_turn.locator(".attachment.kind-pdf .file-chip")).to_contain_text("minutes.pdf")
        loaded = person.page.wait_for_function(
            "() => { const img = document.querySelector('article.role-user .attachment img'); "
            "return img && img.complete && img.naturalWidth === 48; }", timeout=10_000)
        assert loaded
        reply = person.page.locator("article.role-assistant").last
        expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
        expect(reply.locator(".content")).to_contain_text("I received 2 attachments")
        expect(reply.locator(".content")).to_contain_text("file “minutes.pdf”")
        expect(reply.locator(".context-report")).to_contain_text("chart.png sent as an image")
        expect(reply.locator(".context-report")).to_contain_text("minutes.pdf sent as a PDF file")
    watcher.screenshot("attachments-message")


def test_a_long_pdf_shows_its_reading_live_and_the_reply_says_what_was_left_out(people, ann, stack):
    chat_id = ann.new_chat("A long document")
    url = f"{stack.web_url}/chats/{chat_id}"
    sender, watcher = people("ann@example.com"), people("bob@example.com")
    sender.open_chat(url)
    watcher.open_chat(url)
    sender.page.set_input_files("#attach-input", files=[
        {"name": "archive.pdf", "mimeType": "application/pdf", "buffer": files.many_pages_pdf(3000)}])
    sender.page.fill("#composer-input", "Summarise the archive")
    sender.page.keyboard.press("Enter")
    note = "Only the first 1,000 pages of 3,000 were read (Confab reads at most 1,000 pages of a PDF)."
    for person in (sender, watcher):
        document = person.page.locator("article.role-user .attachment.kind-pdf").last
        expect(document.locator(".read-state")).to_have_text("partly read", timeout=20_000)
        expect(document.locator(".file-size")).to_contain_text("3,000 pages")
        expect(document.locator(".read-note")).to_have_text(note)
        reply = person.page.locator("article.role-assistant").last
        expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
        expect(reply.locator(".context-report")).to_contain_text("archive.pdf sent as a PDF file")
    watcher.screenshot("attachments-partly-read")


def test_a_refused_file_is_named_before_anything_is_sent(people, ann, stack):
    chat_id = ann.new_chat("Refusals")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    person.page.set_input_files("#attach-input", files=[
        {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": files.ELF}])
    expect(person.page.locator("#composer-error")).to_contain_text("“setup.exe” is not a file type Confab takes")
    expect(person.page.locator("#pending-files .pending-file")).to_have_count(0)
    # A file that only looks right by its name is refused by the server, and the draft stays.
    person.page.set_input_files("#attach-input", files=[
        {"name": "photo.png", "mimeType": "image/png", "buffer": files.PNG_HEADER_THEN_HTML}])
    person.page.fill("#composer-input", "Here it is")
    person.page.keyboard.press("Enter")
    expect(person.page.locator("#composer-error")).to_contain_text("“photo.png” starts like a PNG file but is not one.")
    expect(person.page.locator("#composer-input")).to_have_value("Here it is")
    expect(person.page.locator("#pending-files .pending-file")).to_have_count(1)
    expect(person.page.locator("article.message")).to_have_count(0)


def test_files_dropped_on_the_chat_or_pasted_into_the_composer_become_chips(people, ann, stack):
    chat_id = ann.new_chat("Drops")
    person = people("ann@example.com")
    person.open_chat(f"{stack.web_url}/chats/{chat_id}")
    person.page.evaluate("""() => {
        const drop = new DataTransfer();
        drop.items.add(new File(["name,amount\\nann,3\\n"], "dropped.csv", {type: "text/csv"}));
        const chat = document.getElementById("chat");
        chat.dispatchEvent(new DragEvent("dragenter", {dataTransfer: drop, bubbles: true}));
        chat.dispatchEvent(new DragEvent("drop", {dataTransfer: drop, bubbles: true, cancelable: true}));
        const paste = new DataTransfer();
        paste.items.add(new File(["# pasted"], "pasted.md", {type: "text/markdown"}));
        document.getElementById("composer-input").dispatchEvent(
            new ClipboardEvent("paste", {clipboardData: paste, bubbles: true, cancelable: true}));
    }""")
    chips = person.page.locator("#pending-files .pending-file")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_contain_text("dropped.csv")
    expect(chips.nth(1)).to_contain_text("pasted.md")
    chips.nth(0).locator(".remove-file").click()
    expect(chips).to_have_count(1)
    person.page.focus("#composer-input")
    person.page.keyboard.press("Enter")  # files alone may be sent
    reply = person.page.locator("article.role-assistant").last
    expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
    expect(reply.locator(".content")).to_contain_text("text [pasted.md], first line “# pasted”")
