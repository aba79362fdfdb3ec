"""Markdown to safe HTML: markdown-it-py renders, Pygments colours code, nh3 sanitises, once
per message (``stored_html``, kept in ``messages.html``). Model output reaches pages only
here, or through the browser's renderer held to the same allow-list (``SANITISER_POLICY``,
read by ``static/js/markdown.js``)."""
from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from app.platform.isolated import IsolatedError, isolated_calls

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Pictures load only from this app's own attachments: any other image becomes a link, so
# Markdown cannot make a viewer's browser fetch a page of the app (a GET with an effect) or a
# tracking pixel elsewhere.
OWN_IMAGE_SOURCE = r"^/attachments/[0-9]{1,10}$"
LINK_REL = "noopener noreferrer nofollow"
MAX_HIGHLIGHTED_CHARS = 100_000
RENDER_HERE_CHARS = 4_000  # pathological Markdown costs ~16 ms per 1,000 characters to render
RENDER_SECONDS = 5.0
TOO_SLOW_TO_FORMAT = "Shown as plain text: formatting this message took too long."

# What the browser's streaming renderer (marked + DOMPurify) may keep: the same lists.
SANITISER_POLICY = {
    "tags": sorted(ALLOWED_TAGS),
    "attributes": {tag: sorted(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    "url_schemes": sorted(URL_SCHEMES),
    "link_rel": LINK_REL,
    "own_image_source": OWN_IMAGE_SOURCE,
}

_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=128)
def _lexer(language: str):
    """The Pygments lexer for a fence's language, or None (looking one up scans every lexer)."""
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


def _highlight(code: str, language: str, _attrs) -> str:
    """Pygments spans for a fenced block with a known language; '' lets markdown-it escape it."""
    if not language or len(code) > MAX_HIGHLIGHTED_CHARS:
        return ""
    lexer = _lexer(language.strip().lower()[:40])
    return highlight(code, lexer, _FORMATTER) if lexer is not None else ""


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    # Table alignment as an attribute: the CSP forbids inline styles.
    md.add_render_rule("th_open", _aligned_cell)
    md.add_render_rule("td_open", _aligned_cell)
    md.add_render_rule("image", _image_or_link)
    return md


def _image_or_link(self, tokens, idx, options, env) -> str:
    """A picture of this app's own attachments, or a link to any other source (its alt text
    as the link's words)."""
    token = tokens[idx]
    source = token.attrGet("src") or ""
    if re.match(OWN_IMAGE_SOURCE, source):
        return RendererHTML.image(self, tokens, idx, options, env)
    words = self.renderInlineAsText(token.children or [], options, env) or source
    return f'<a href="{escape(source)}">{escape(words)}</a>'


def _aligned_cell(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    style = token.attrGet("style") or ""
    align = style.removeprefix("text-align:") if style.startswith("text-align:") else ""
    tag = token.tag
    return f'<{tag} align="{escape(align)}">' if align in {"left", "center", "right"} else f"<{tag}>"


def render_markdown(text: str | None) -> Markup:
    """Sanitised HTML for untrusted Markdown (model output, user text)."""
    html = _markdown().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )
    return Markup(clean)


def plain_html(text: str | None, note: str | None = None) -> Markup:
    """``text`` as escaped paragraphs, never read as Markdown: what a message shows when its
    Markdown could not be rendered in time (with ``note`` saying so), or was never stored."""
    paragraphs = [escape(part).replace("\n", Markup("<br>\n")) for part in (text or "").split("\n\n") if part]
    html = Markup("").join(Markup("<p>{}</p>\n").format(p) for p in paragraphs)
    return html + Markup('<p class="render-note">{}</p>\n').format(note) if note else html


def as_written(text: str | None) -> str:
    """The HTML stored for a person's own message: their text as they typed it, escaped, its
    spaces and line breaks kept (never read as Markdown: ``2**10 + sqrt(16)`` stays as typed)."""
    return str(Markup('<p class="as-written">{}</p>\n').format(text or ""))


def stored_html(text: str | None) -> str:
    """The HTML stored for a finished message's ``text``, rendered once. Short text renders
    here (at most tens of milliseconds, whatever it holds); longer text in a process of its own
    (``app/platform/isolated.py``), killed after ``RENDER_SECONDS``, when it is shown as plain
    text with a note instead."""
    text = text or ""
    if len(text) <= RENDER_HERE_CHARS:
        return str(render_markdown(text))
    try:
        return isolated_calls().run("app.conversations.rendering:render_markdown", [text], RENDER_SECONDS)
    except IsolatedError:
        return str(plain_html(text, TOO_SLOW_TO_FORMAT))


def message_html(message) -> Markup:
    """A finished message's stored HTML; escaped text for one stored before HTML was (never
    rendered on a page view)."""
    return Markup(message.html) if message.html is not None else plain_html(message.content)


def public_message(message, siblings: list[int] | None = None) -> dict:
    """MESSAGE JSON, with its sanitised ``html`` once the message is finished (and the ids of
    its turn's versions when the caller knows them)."""
    return message.to_public(None if message.is_unfinished else str(message_html(message)), siblings)
