"""Names for MCP tools that every provider accepts, unique across a reply's servers.

Providers take a function name of letters, digits, ``_`` and ``-``, at most 64 characters
(OpenAI's rule, the strictest of them). A server's tool is offered as ``{server}__{tool}``:
other characters become ``_``, a name too long keeps its start and gains a short hash of the
whole, and a name another tool already has gains a number.
"""
from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 64
SEPARATOR = "__"
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def exposed_name(server_key: str, tool_name: str) -> str:
    """The name a model is given for ``tool_name`` of the server ``server_key``."""
    name = f"{server_key}{SEPARATOR}{_NOT_ALLOWED.sub('_', tool_name) or '_'}"
    if len(name) <= MAX_LENGTH:
        return name
    digest = hashlib.sha256(f"{server_key}/{tool_name}".encode()).hexdigest()[:8]
    return f"{name[:MAX_LENGTH - 9]}_{digest}"


def unique_names(pairs: list[tuple[str, str]], taken: set[str] = frozenset()) -> dict[str, tuple[str, str]]:
    """Each ``(server key, tool name)`` by the name a model is given, none of them in ``taken``
    (the built-ins' names) nor given twice."""
    named: dict[str, tuple[str, str]] = {}
    used = set(taken)
    for server_key, tool_name in pairs:
        name = exposed_name(server_key, tool_name)
        number = 2
        while name in used:
            suffix = f"_{number}"
            name = exposed_name(server_key, tool_name)[:MAX_LENGTH - len(suffix)] + suffix
            number += 1
        used.add(name)
        named[name] = (server_key, tool_name)
    return named
