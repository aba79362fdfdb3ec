"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises. Model output reaches pages only here."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(["table", "strikethrough"])


def render_markdown(text: str | None) -> Markup:
    """Sanitised HTML for untrusted Markdown (model output, user text)."""
    html = _markdown().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
    return Markup(clean)


def context_summary(report: dict | None) -> str:
    """One line telling what the model was sent (SPEC §4 context transparency)."""
    if not report:
        return ""
    parts = [f"Context: {report.get('included', 0)} messages sent"]
    if report.get("trimmed"):
        parts.append(f"{report['trimmed']} oldest trimmed to fit")
    if report.get("instructions"):
        parts.append("instructions included")
    for item in report.get("attachments", []):
        parts.append(f"{item.get('filename')} as {item.get('sent_as')}")
    return " · ".join(parts)


def public_message(message) -> dict:
    """MESSAGE JSON, with sanitised ``html`` once the message is finished."""
    return message.to_public(None if message.is_unfinished else str(render_markdown(message.content)))
