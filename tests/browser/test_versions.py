"""Regenerate, flip between versions and edit a question in headless Chromium, with a second
member's page following along (issue 13)."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def last_reply(person):
    return person.page.locator("article.message.role-assistant").last


def test_regenerate_flip_versions_and_edit_with_the_other_member_following(people, ann, stack):
    chat_id = ann.new_chat("Versions")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    ann_page.open_chat(url)
    bob_page.open_chat(url)
    ann_page.page.fill("#composer-input", "Suggest a name")
    ann_page.page.keyboard.press("Enter")
    expect(last_reply(ann_page)).to_have_attribute("data-status", "completed", timeout=20_000)
    first_id = last_reply(ann_page).get_attribute("data-message-id")

    # Bob asks for another answer; both pages show it as version 2 of 2.
    expect(last_reply(bob_page)).to_have_attribute("data-status", "completed", timeout=20_000)
    last_reply(bob_page).locator("[data-action=regenerate]").click()
    for person in (ann_page, bob_page):
        reply = last_reply(person)
        expect(reply).not_to_have_attribute("data-message-id", first_id)
        expect(reply).to_have_attribute("data-status", "completed", timeout=20_000)
        expect(reply.locator(".version-label")).to_have_text("2 / 2")
        expect(person.page.locator("article.message.role-assistant")).to_have_count(1)
    second_id = last_reply(ann_page).get_attribute("data-message-id")

    # Ann flips back to 1 / 2; Bob's page follows.
    last_reply(ann_page).get_by_label("Previous version").click()
    for person in (ann_page, bob_page):
        expect(last_reply(person)).to_have_attribute("data-message-id", first_id)
        expect(last_reply(person).locator(".version-label")).to_have_text("1 / 2")
    last_reply(bob_page).get_by_label("Next version").click()
    expect(last_reply(ann_page)).to_have_attribute("data-message-id", second_id)
    ann_page.screenshot("versions")

    # Ann edits her question: a new branch, answered at once, on both pages.
    question = ann_page.page.locator("article.message.role-user").last
    question.locator("[data-action=edit]").click()
    editor = question.locator(".editor textarea")
    expect(editor).to_have_value("Suggest a name")
    editor.fill("Suggest a short name")
    question.locator(".editor button[type=submit]").click()
    for person in (ann_page, bob_page):
        user_message = person.page.locator("article.message.role-user").last
        expect(user_message.locator(".content")).to_have_text("Suggest a short name")
        expect(user_message.locator(".version-label")).to_have_text("2 / 2")
        expect(last_reply(person)).to_have_attribute("data-status", "completed", timeout=20_000)
        expect(last_reply(person).locator(".content")).to_contain_text("Suggest a short name")
        expect(person.page.locator("article.message")).to_have_count(2)
    # Bob cannot edit Ann's question.
    expect(bob_page.page.locator("article.message.role-user [data-action=edit]")).to_have_count(0)
    # Back to the first question: its two answers are still there.
    ann_page.page.locator("article.message.role-user").last.get_by_label("Previous version").click()
    expect(bob_page.page.locator("article.message.role-user .content").last).to_have_text("Suggest a name")
    expect(last_reply(bob_page).locator(".version-label")).to_have_text(re.compile(r"\d / 2"))
