"""People in headless Chromium (issue 32): invitations seen live and accepted before any chat
shows, a link that brings a new person in, roles, leaving and the last owner, a password
change that ends the other browser's socket, a reset link that works once, and a search that
finds a word inside a message and opens the chat there."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.support.stack import Member


@pytest.fixture(scope="module")
def team(stack):
    """Gus owns an account with a chat in it; Hal and Ivy have only their own accounts."""
    for email, name in (("gus@example.com", "Gus Wade"), ("hal@example.com", "Hal Ford"),
                        ("ivy@example.com", "Ivy Chen")):
        stack.flask("users", "create", "--email", email, "--name", name, "--password", PASSWORD)
    gus = Member(stack, "gus@example.com", PASSWORD)
    chat_id = gus.new_chat("Gus's roadmap")
    gus.finished(chat_id, gus.say(chat_id, "The quetzal launch is in May")["assistant_message"]["id"])
    return gus, chat_id


def test_an_invited_user_sees_the_invitation_live_and_the_chats_only_after_accepting(people, stack, team):
    _, chat_id = team
    owner, invited = people("gus@example.com"), people("hal@example.com")
    assert invited.page.request.get(f"{stack.web_url}/chats/{chat_id}").status == 404
    owner.page.goto(f"{stack.web_url}/account")
    owner.page.fill("#invite-email-form input[name=email]", "hal@example.com")
    owner.page.click("#invite-email-form button[type=submit]")
    expect(owner.page.locator(".flash-success")).to_contain_text("hal@example.com is invited as a member")
    expect(owner.page.locator("#new-invitation-link")).to_contain_text("/join/")
    owner.screenshot("people-invited")

    notice = invited.page.locator("#invitation-notice")
    expect(notice).to_be_visible(timeout=10_000)  # live, without a reload
    expect(notice).to_contain_text("1 invitation waiting")
    assert invited.page.request.get(f"{stack.web_url}/chats/{chat_id}").status == 404  # not before accepting
    notice.click()
    expect(invited.page.locator(".invitation")).to_contain_text("Gus Wade invites you to join Gus Wade's account")
    invited.screenshot("people-invitation")
    invited.page.click(".invitation button.primary")
    expect(invited.page.locator(".flash-success")).to_contain_text("Welcome to Gus Wade's account.")
    expect(invited.page.locator("#chat-nav-list")).to_contain_text("Gus's roadmap")
    assert invited.page.request.get(f"{stack.web_url}/chats/{chat_id}").status == 200


def test_a_new_person_signs_up_through_an_invite_link_and_lands_in_the_account(people, stack, team):
    gus, _ = team
    hidden = gus.new_chat("Gus's private notes", private=True)
    gus.finished(hidden, gus.say(hidden, "only for me")["assistant_message"]["id"])
    owner = people("gus@example.com")
    owner.page.goto(f"{stack.web_url}/account")
    owner.page.fill("#invite-link-form input[name=max_uses]", "2")
    owner.page.click("#invite-link-form button[type=submit]")
    link = owner.page.locator("#new-invitation-link").inner_text().strip()
    expect(owner.page.locator(".invitations")).to_contain_text("Link · used 0 of 2")

    newcomer = people(None)
    newcomer.page.goto(link)
    expect(newcomer.page.locator("h1")).to_have_text("Join Gus Wade's account")
    newcomer.page.click("text=Sign up and join")
    newcomer.page.fill("input[name=name]", "Kim Lowe")
    newcomer.page.fill("input[name=email]", "kim@example.com")
    newcomer.page.fill("input[name=password]", PASSWORD)
    newcomer.page.click("button[type=submit]")
    expect(newcomer.page.locator(".flash-success")).to_contain_text("Welcome to Gus Wade's account.")
    expect(newcomer.page.locator("#chat-nav-list")).to_contain_text("Gus's roadmap")
    expect(newcomer.page.locator("#chat-nav-list")).not_to_contain_text("Gus's private notes")
    assert newcomer.page.request.get(f"{stack.web_url}/chats/{hidden}").status == 404
    newcomer.screenshot("people-joined-by-link")


def test_roles_change_the_last_owner_is_protected_and_a_member_leaves(people, stack, team):
    page = people("gus@example.com").page
    page.goto(f"{stack.web_url}/account")
    account_url = page.url
    gus_row = page.locator("tr", has_text="gus@example.com")
    expect(gus_row).to_contain_text("Gus Wade is the only owner. Make someone else an owner first.")
    expect(gus_row.locator("select")).to_be_disabled()
    expect(page.locator("text=You are the only owner, so you cannot leave")).to_be_visible()

    stack.flask("accounts", "add-member", "Gus Wade's account", "ivy@example.com")
    page.reload()
    ivy_row = page.locator("tr", has_text="ivy@example.com")
    ivy_row.locator("select").select_option("owner")
    ivy_row.locator("button", has_text="Change").click()
    expect(page.locator(".flash-success")).to_contain_text("Ivy Chen is now an owner.")
    expect(page.locator("tr", has_text="gus@example.com").locator("select")).to_be_enabled()

    leaver = people("ivy@example.com").page
    leaver.goto(account_url)
    leaver.click("text=Leave Gus Wade's account")
    leaver.click("#confirm-ok")
    expect(leaver.locator(".flash-success")).to_contain_text("You left Gus Wade's account.")
    assert leaver.request.get(account_url).status == 404
    page.reload()
    expect(page.locator("tr", has_text="ivy@example.com")).to_have_count(0)


def test_a_password_change_ends_the_other_browsers_socket(people, stack, team):
    stack.flask("users", "create", "--email", "lea@example.com", "--name", "Lea Park", "--password", PASSWORD)
    lea = Member(stack, "lea@example.com", PASSWORD)
    chat_id = lea.new_chat("Lea's notes")
    here, there = people("lea@example.com"), people("lea@example.com")
    there.open_chat(f"{stack.web_url}/chats/{chat_id}")
    here.page.goto(f"{stack.web_url}/account/profile")
    here.page.fill("input[name=current_password]", PASSWORD)
    here.page.fill("input[name=new_password]", "lea's new password")
    here.page.click("text=Change password")
    expect(here.page.locator(".flash-success")).to_contain_text("Every other browser signed in as you is signed out.")
    expect(there.page.locator("#connection")).not_to_have_text("live", timeout=10_000)
    there.page.reload()
    expect(there.page).to_have_url(f"{stack.web_url}/login?next=%2Fchats%2F{chat_id}")
    here.page.goto(f"{stack.web_url}/chats/{chat_id}")
    expect(here.page.locator("#connection")).to_have_text("live")


def test_a_reset_link_sets_a_password_once(people, stack, team):
    stack.flask("users", "create", "--email", "max@example.com", "--name", "Max Roy", "--password", PASSWORD)
    link = stack.web_url + stack.flask("users", "reset-link", "max@example.com").split()[0]
    visitor = people(None)
    visitor.page.goto(link)
    expect(visitor.page.locator("h1")).to_have_text("Set a new password")
    visitor.page.fill("input[name=new_password]", "max's new password")
    visitor.page.click("button[type=submit]")
    expect(visitor.page.locator(".flash-success")).to_contain_text("Your password is set.")
    assert visitor.page.request.get(link).status == 404  # once
    visitor.page.fill("input[name=email]", "max@example.com")
    visitor.page.fill("input[name=password]", "max's new password")
    visitor.page.click("button[type=submit]")
    expect(visitor.page).to_have_url(f"{stack.web_url}/chats")


def test_the_search_finds_a_word_inside_a_message_and_opens_the_chat_there(people, stack, team):
    _, chat_id = team
    person = people("gus@example.com")
    person.page.fill("#chat-search", "quetzal")
    hit = person.page.locator(".message-hit").first
    expect(hit).to_contain_text("Gus's roadmap")
    expect(hit.locator("mark")).to_have_text("quetzal")
    person.screenshot("search-results")
    hit.click()
    found = person.page.locator("article.message.found")
    expect(found).to_contain_text("The quetzal launch is in May")
    expect(found).to_be_in_viewport()


def test_a_removed_members_open_chat_says_so_at_once(people, stack, team):
    _, chat_id = team
    stack.flask("users", "create", "--email", "ned@example.com", "--name", "Ned Hale", "--password", PASSWORD)
    stack.flask("accounts", "add-member", "Gus Wade's account", "ned@example.com")
    removed = people("ned@example.com")
    removed.open_chat(f"{stack.web_url}/chats/{chat_id}")
    owner = people("gus@example.com").page
    owner.goto(f"{stack.web_url}/account")
    owner.locator("tr", has_text="ned@example.com").locator("button", has_text="Remove").click()
    owner.click("#confirm-ok")
    expect(owner.locator(".flash-success")).to_contain_text("Member removed.")
    why = "You are no longer a member of this chat's account."
    expect(removed.page.locator("#connection")).to_have_text(why, timeout=10_000)
    expect(removed.page.locator("#send")).to_be_disabled()
    expect(removed.page.locator("#composer-error")).to_have_text(why)


def test_a_private_chat_shared_into_the_account_appears_for_the_others_at_once(people, stack, team):
    gus, _ = team
    stack.flask("users", "create", "--email", "oli@example.com", "--name", "Oli Park", "--password", PASSWORD)
    stack.flask("accounts", "add-member", "Gus Wade's account", "oli@example.com")
    account_id = gus.http.get(f"{stack.web_url}/account", timeout=10).url.rsplit("/", 1)[1]
    assert Member(stack, "oli@example.com", PASSWORD).post(f"/accounts/{account_id}/switch").status_code == 200
    hidden = gus.new_chat("Draft budget", private=True)
    gus.finished(hidden, gus.say(hidden, "numbers nobody sees yet")["assistant_message"]["id"])
    other = people("oli@example.com")
    expect(other.page.locator("#chat-nav-list")).to_contain_text("Gus's roadmap")
    expect(other.page.locator("#chat-nav-list")).not_to_contain_text("Draft budget")

    owner = people("gus@example.com")
    owner.open_chat(f"{stack.web_url}/chats/{hidden}")
    expect(owner.page.locator("#private-badge")).to_contain_text("Private")
    owner.page.click("#share-chat")
    owner.page.click("#confirm-ok")
    expect(owner.page.locator(".flash-success")).to_contain_text("Shared with everyone in Gus Wade's account.")
    expect(owner.page.locator("#private-badge")).to_have_count(0)
    expect(other.page.locator("#chat-nav-list")).to_contain_text("Draft budget")  # live
