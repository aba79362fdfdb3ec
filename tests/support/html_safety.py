"""Checking rendered HTML for anything executable, by parsing it rather than grepping it."""
from __future__ import annotations

from html.parser import HTMLParser


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "iframe", "object", "embed", "style"}:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            if name.lower() in {"href", "src"} and (value or "").strip().lower().startswith(("javascript:", "data:text")):
                self.problems.append(f"{name}={value!r} on <{tag}>")


def executable_parts(html: str) -> list[str]:
    """Every script element, event-handler attribute or javascript: URL in ``html``."""
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.problems
