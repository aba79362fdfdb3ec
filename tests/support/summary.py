"""Lines a test wants at the end of the pytest output (printed by ``tests/conftest.py``)."""
from __future__ import annotations

SUMMARY_LINES: list[str] = []


def add_summary_line(line: str) -> None:
    SUMMARY_LINES.append(line)
