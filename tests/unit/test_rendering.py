"""The server renderer: highlighted code, aligned tables without inline styles, the footers'
words, and one allow-list shared with the browser's streaming renderer (SPEC §5, §10)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from app.conversations.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, SANITISER_POLICY, render_markdown
from app.web.display import context_summary, usage_summary


def test_fenced_code_with_a_known_language_is_highlighted_by_pygments():
    html = str(render_markdown("```python\ndef f():\n    return '<b>'\n```"))
    assert '<pre><code class="language-python">' in html
    assert '<span class="k">def</span>' in html and "&lt;b&gt;" in html and "<b>" not in html


def test_unknown_or_missing_languages_are_escaped_plain_text():
    assert str(render_markdown("```nope\nx<y\n```")) == '<pre><code class="language-nope">x&lt;y\n</code></pre>\n'
    assert "<span" not in str(render_markdown("```\nplain\n```"))


def test_table_alignment_is_an_attribute_not_an_inline_style():
    html = str(render_markdown("| a | b | c |\n|:-|:-:|-:|\n| 1 | 2 | 3 |"))
    assert '<th align="left">a</th>' in html and '<td align="center">2</td>' in html and '<td align="right">3</td>' in html
    assert "style=" not in html


def test_spans_from_model_text_never_carry_handlers():
    html = str(render_markdown('<span class="k" onclick="x()">hi</span>'))
    assert "<span" not in html and "&lt;span" in html


def test_the_browser_gets_the_same_allow_list_the_server_uses():
    policy = json.loads(json.dumps(SANITISER_POLICY))
    assert set(policy["tags"]) == ALLOWED_TAGS
    assert {tag: set(names) for tag, names in policy["attributes"].items()} == ALLOWED_ATTRIBUTES
    assert policy["url_schemes"] == ["http", "https", "mailto"]


def test_footers_use_correct_plurals():
    assert context_summary({"included": 1}) == "Context: 1 message sent"
    assert context_summary({"included": 3, "trimmed": 1, "instructions": True}) == (
        "Context: 3 messages sent · 1 older message left out to fit · instructions included")
    one = SimpleNamespace(input_tokens=1, cached_tokens=0, output_tokens=1200, reasoning_tokens=0, cost=None,
                          context_report=None)
    assert usage_summary(one) == "1 token in · 1,200 out · –"
    billed = SimpleNamespace(input_tokens=2, cached_tokens=0, output_tokens=3, reasoning_tokens=0, cost=0.00502,
                             context_report={"cost_source": "provider"})
    assert usage_summary(billed) == "2 tokens in · 3 out · $0.00502 (as the provider billed it)"


@pytest.mark.parametrize(("markdown", "link"), [
    ("![pixel](https://tracker.example/p.png)", '<a href="https://tracker.example/p.png" rel="noopener noreferrer nofollow">pixel</a>'),
    ("![x](/chats/1)", '<a href="/chats/1" rel="noopener noreferrer nofollow">x</a>'),
    ("![](/attachments/1/../../chats/2)", '<a href="/attachments/1/../../chats/2" rel="noopener noreferrer nofollow">/attachments/1/../../chats/2</a>'),
])
def test_an_image_from_anywhere_but_this_apps_attachments_becomes_a_link(markdown, link):
    html = str(render_markdown(markdown))
    assert "<img" not in html and link in html


def test_an_image_of_this_apps_own_attachments_is_shown():
    assert str(render_markdown("![chart](/attachments/42)")) == '<p><img src="/attachments/42" alt="chart"></p>\n'
    assert SANITISER_POLICY["own_image_source"] == "^/attachments/[0-9]{1,10}$"
