"""How a message's facts read on the page: its tokens and cost, what the model was sent,
a file's size and reading (Jinja globals, set up by the application factory)."""
from __future__ import annotations

from app.costs.usage import usd


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def usage_summary(message) -> str:
    """A reply's tokens and cost, as its footer shows them."""
    parts = [f"{_plural(message.input_tokens or 0, 'token')} in"]
    if message.cached_tokens:
        parts[0] += f" ({message.cached_tokens:,} cached)"
    out = f"{(message.output_tokens or 0):,} out"
    if message.reasoning_tokens:
        out += f" ({message.reasoning_tokens:,} reasoning)"
    source = (message.context_report or {}).get("cost_source")
    cost = "price unknown" if source == "unpriced" else usd(message.cost)
    if source == "provider":
        cost += " (as the provider billed it)"
    return " · ".join([parts[0], out, cost])


CAPABILITY_LABELS = {"vision": "vision", "audio": "audio in", "pdf": "PDF", "tools": "tools",
                     "reasoning": "reasoning", "structured_output": "structured output"}


SOURCE_LABELS = {"provider": "from the provider's own list", "library": "from the genai-prices library",
                 "file": "from the model file", "admin": "set by an administrator"}


def tokens_short(count: int | None) -> str:
    """A context window as the picker shows it: "8K", "128K", "1M", "1.05M"."""
    if not count:
        return "?"
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    if count >= 1000:
        return f"{count / 1000:.0f}K"
    return str(count)


def model_price(model) -> str:
    """A model's price as the picker shows it: per million tokens in and out, or that nobody
    states one (its replies then have no cost, never a silent $0)."""
    if not model.priced:
        return "price unknown"
    return f"{_per_million(model.input_price)} in · {_per_million(model.output_price)} out per 1M tokens"


def _per_million(price) -> str:
    """"$2.50", "$0.15", "$0.038": cents, and the figures below a cent a price is stated in."""
    text = f"{price:,.6f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def context_summary(report: dict | None) -> str:
    """One line telling what the model was sent (SPEC §4 context transparency)."""
    if not report:
        return ""
    if report.get("image"):
        return "Drawn from the request's description"
    parts = [f"Context: {_plural(report.get('included', 0), 'message')} sent"]
    if report.get("trimmed"):
        parts.append(f"{_plural(report['trimmed'], 'older message')} left out to fit")
    if report.get("instructions"):
        parts.append("instructions included")
    parts.extend(_attachment_report(item) for item in report.get("attachments", []))
    return " · ".join(parts)


def _attachment_report(item: dict) -> str:
    """How one file reached the model (the same words as ``static/js/message-view.js``)."""
    name, sent_as = item.get("filename"), item.get("sent_as")
    if sent_as in ("image", "audio", "file"):
        return f"{name} sent as {({'image': 'an image', 'audio': 'audio', 'file': 'a PDF file'})[sent_as]}"
    if sent_as == "text":
        extra = ""
        if item.get("chars"):
            pages = f", {_plural(item['pages'], 'page')}" if item.get("pages") else ""
            extra = f" ({_plural(item['chars'], 'character')}{pages})"
        partly = f", partly read: {item['partial']}" if item.get("partial") else ""
        return f"{name} sent as text{extra}{partly}"
    return f"{name} left out: {item.get('reason') or 'not sent'}"


# How a document's reading shows on its file chip (the same as ``static/js/attachments.js``).
READ_STATE_LABELS = {"reading": "reading…", "partial": "partly read", "unreadable": "could not be read"}


def file_size(size: int) -> str:
    """A file's size as people read it (the same as ``static/js/attachments.js``)."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
