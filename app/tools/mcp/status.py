"""What the worker processes last saw of each MCP server, shared with the pages through Redis.

Web processes never connect to MCP servers: the account page and a chat's tool switches show
the state and tools a worker (or ``flask mcp list``) recorded here, one hash field per server.
Each process keeps one :class:`~app.tools.mcp.links.LinkHub`, made on first use.
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
import time

import redis
from flask import current_app

from app.platform.redis_client import get_redis
from app.tools.mcp.links import LinkHub, ServerLink

STATUS_KEY = "confab:mcp:status"
_made = threading.Lock()


def recorder(client: redis.Redis):
    """A link's ``on_change``: write its state and tools off the loop (a Redis round trip)."""

    def record(link: ServerLink) -> None:
        entry = json.dumps({"state": link.state, "error": link.error, "checked_at": time.time(),
                            "tools": [{"name": t.name, "title": t.title, "description": t.description[:500]}
                                      for t in link.tools]})
        write = lambda: client.hset(STATUS_KEY, link.server.key, entry)  # noqa: E731
        try:
            asyncio.get_running_loop().run_in_executor(None, write)
        except RuntimeError:
            write()

    return record


def hub() -> LinkHub:
    """This process's links (a forked child makes its own)."""
    extensions = current_app.extensions
    with _made:
        made = extensions.get("confab.mcp")
        if made is None or made[0] != os.getpid():
            made = extensions["confab.mcp"] = (os.getpid(), LinkHub(current_app.config["MCP_RETRY_MAX_SECONDS"],
                                                                      recorder(get_redis())))
        return made[1]


def seen() -> dict[str, dict]:
    """Each server's last recorded state: ``state``, ``error``, ``checked_at`` and ``tools``."""
    raw = get_redis().hgetall(STATUS_KEY)
    seen = {}
    for key, value in raw.items():
        try:
            seen[key.decode() if isinstance(key, bytes) else key] = json.loads(value)
        except ValueError:
            continue
    return seen
