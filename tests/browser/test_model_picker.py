"""The model picker at scale in headless Chromium (issue 31): with 300 models refreshed from
an OpenRouter-style provider, three letters find one; it shows its price and badges; the
keyboard chooses it, and every member's page follows."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.fixture
def many_models(stack, tmp_path):
    """300 models from the demo server's OpenRouter-style list, every one switched on; off again after."""
    models_file = tmp_path / "many.yml"
    models_file.write_text("providers:\n  many: {base_url: '"
                           f"{stack.demo_url}/catalog/openrouter,count=300/v1', api_key_env: null, enable: all}}\n"
                           "models: {}\n")
    stack.flask("models", "seed", "--file", str(models_file))
    assert "many: 300 listed, 300 added" in stack.flask("models", "refresh", "--provider", "many")
    yield
    stack.flask("models", "disable", "*/*")
    stack.flask("models", "disable", "many:*")


def test_three_letters_find_a_model_among_300_and_the_keyboard_switches_it_for_everyone(
        many_models, people, ann, stack):
    chat_id = ann.new_chat("Many models")
    url = f"{stack.web_url}/chats/{chat_id}"
    ann_page, bob_page = people("ann@example.com"), people("bob@example.com")
    ann_page.open_chat(url)
    bob_page.open_chat(url)
    page = ann_page.page
    page.click("#model-chip")
    picker = page.locator("#model-dialog")
    search = picker.locator("#model-options-search")
    expect(search).to_be_focused()
    options = picker.locator(".model-option:visible")
    assert options.count() > 290
    expect(picker.locator(".model-group-name", has_text="many")).to_be_visible()

    page.keyboard.type("lla")
    expect(options).to_have_count(1)
    llama = options.first
    expect(llama.locator(".model-name")).to_have_text("Meta: Llama 3.3 70B Instruct")
    expect(llama.locator(".cap.price")).to_have_text("$0.038 in · $0.12 out per 1M tokens")
    expect(llama).to_contain_text("131K context")
    expect(llama).to_contain_text("tools")
    ann_page.screenshot("model-picker-search")

    page.keyboard.press("ArrowDown")
    expect(llama).to_be_focused()
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(page.locator("#model-chip-name")).to_have_text("Meta: Llama 3.3 70B Instruct")
    expect(bob_page.page.locator("#model-chip-name")).to_have_text("Meta: Llama 3.3 70B Instruct")

    page.click("#model-chip")
    expect(search).to_have_value("")
    page.keyboard.type("unpriced")
    expect(options).to_have_count(1)
    expect(options.first.locator(".cap.price")).to_have_text("price unknown")
    page.keyboard.type("zzz")
    expect(options).to_have_count(0)
    expect(picker.locator("[data-model-no-match]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
