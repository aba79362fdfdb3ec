"""Database ids in URLs, query strings and Socket.IO payloads."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the range of an integer primary key column


class DatabaseIdConverter(IntegerConverter):
    """``<id:chat_id>``: a positive id in the column's range; anything else never matches (404)."""

    def __init__(self, map, **kwargs) -> None:  # noqa: A002  (werkzeug's argument name)
        super().__init__(map, min=1, max=MAX_ID)


def parse_id(value: object) -> int | None:
    """An id from untrusted JSON or a query string, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    return None
