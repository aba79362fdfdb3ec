"""The tools Confab offers to models that have ``tools``: the built-ins, by name."""
from __future__ import annotations

from app.tools import calculator, clock, search
from app.tools.base import Tool

BUILT_IN: dict[str, Tool] = {tool.name: tool for tool in (calculator.TOOL, clock.TOOL, search.TOOL)}


def all_tools() -> list[Tool]:
    return sorted(BUILT_IN.values(), key=lambda t: t.name)


def find(name: str) -> Tool | None:
    return BUILT_IN.get(name)
