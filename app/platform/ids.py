"""Database ids and page numbers in URLs, query strings and Socket.IO payloads.

Only ASCII digits count: Python's ``str.isdigit`` and ``int`` also take "²" or a
fullwidth "１", which must never become an id.
"""
from __future__ import annotations

from werkzeug.routing import BaseConverter, IntegerConverter

MAX_ID = 2**31 - 1  # the range of an integer primary key column
MAX_PAGE = 100_000


class DatabaseIdConverter(IntegerConverter):
    """``<id:chat_id>``: a positive id in the column's range; anything else never matches (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, **kwargs) -> None:  # noqa: A002  (werkzeug's argument name)
        super().__init__(map, min=1, max=MAX_ID)


class LookupIdConverter(BaseConverter):
    """``<lookup_id:chat_id>`` (the API's ids): any run of ASCII digits routes, and one out of
    the column's range becomes 0, an id no row has, so the view's lookup answers 404. (A
    converter that refused it would make werkzeug answer 405 when the same path has other
    methods.)"""

    regex = r"[0-9]{1,20}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if 1 <= number <= MAX_ID else 0

    def to_url(self, value: int) -> str:
        return str(int(value))


def parse_number(value: object, maximum: int) -> int | None:
    """A whole number from 1 to ``maximum`` from untrusted JSON or a query string, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
            return None
        value = int(value)
    if isinstance(value, int) and 1 <= value <= maximum:
        return value
    return None


def parse_id(value: object) -> int | None:
    """An id from untrusted JSON or a query string, or None."""
    return parse_number(value, MAX_ID)


def parse_page(value: str | None) -> int | None:
    """A page number from a query string (absent: page 1), or None when it is not one."""
    return 1 if value is None else parse_number(value, MAX_PAGE)
