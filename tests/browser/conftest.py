"""Headless Chromium (Debian's package) driven by Playwright; no browser download."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots for reviewers (git-ignored).
SHOTS = Path(__file__).resolve().parents[2] / "test-results"
# A time zone far from UTC, so a time shown in UTC would be caught.
TIME_ZONE = "America/Los_Angeles"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-quic", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


class Person:
    """One person in their own browser context, signed in through the real form (a visitor,
    signed out, without ``email``)."""

    def __init__(self, browser, stack, email: str | None, **options) -> None:
        options.setdefault("viewport", {"width": 1100, "height": 800})
        options.setdefault("timezone_id", TIME_ZONE)
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if email is None:
            return
        self.page.goto(f"{stack.web_url}/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/chats")

    def open_chat(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector("#connection:text('live')")

    def screenshot(self, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, stack):
    opened = []

    def open_person(email: str | None, **options) -> Person:
        person = Person(browser, stack, email, **options)
        opened.append(person)
        return person

    yield open_person
    for person in opened:
        assert person.errors == [], person.errors
        person.close()
