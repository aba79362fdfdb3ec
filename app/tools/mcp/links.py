"""This process's connections to MCP servers, each held open on the stream loop.

A :class:`ServerLink` connects on first use (a reply whose chat has the server on), lists the
server's tools, keeps the list for the entry's ``list_ttl_seconds`` and calls tools over the
open session, many at once. A server that cannot be reached is ``down``: it is tried again
after 1, 2, 4… seconds (at most ``MCP_RETRY_MAX_SECONDS``), and until then replies go on
without its tools instead of waiting. A session that breaks (a stdio server that died, an HTTP
server that restarted and forgot the session) is opened again and the call sent once more.

Everything here runs on one asyncio loop (the worker's stream loop, or the loop of ``flask mcp
list``); the SDK's sessions are anyio tasks on it. What a link learns is reported through
``on_change`` (``status.py`` shares it with the pages).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
import httpx2
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CONNECTION_CLOSED

from app.tools.mcp.config import McpServer

log = logging.getLogger(__name__)
MAX_PAGES = 20
BROKEN = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, ConnectionError,
          httpx2.TransportError)


McpRefusal = MCPError  # the server answered the request with an error (JSON-RPC), not a result


class ServerUnavailable(Exception):
    """The server cannot be reached now; the message says why, in words a member can read."""


@dataclass(frozen=True)
class ListedTool:
    """A tool as the server listed it."""

    name: str
    title: str | None
    description: str
    input_schema: dict


class ServerLink:
    def __init__(self, server: McpServer, retry_max: float, on_change: Callable[[ServerLink], None]) -> None:
        self.server = server
        self.state = "idle"  # idle (not asked yet), up, down
        self.error: str | None = None
        self.tools: list[ListedTool] = []
        self.listed_at = 0.0
        self._retry_max = retry_max
        self._on_change = on_change
        self._failures = 0
        self._next_try = 0.0
        self._client: Client | None = None
        self._closing: asyncio.Event | None = None
        self._holder: asyncio.Task | None = None
        self._lock: asyncio.Lock | None = None

    # -- what replies ask ------------------------------------------------------------------
    async def listed_tools(self) -> list[ListedTool]:
        """The server's tools (those its entry allows), listed again once the list is older
        than ``list_ttl_seconds``; :class:`ServerUnavailable` while it cannot be reached."""
        if self.state == "up" and time.monotonic() - self.listed_at < self.server.list_ttl_seconds:
            return self.tools
        async with self._guard():
            if self.state == "up" and time.monotonic() - self.listed_at < self.server.list_ttl_seconds:
                return self.tools
            client = await self._connected()
            try:
                await self._list(client)
            except asyncio.TimeoutError:
                raise self._failed(f"{self.server.name} did not list its tools within "
                                   f"{self.server.timeout_seconds:g} s") from None
            except Exception as exc:  # noqa: BLE001 - any failure of the server's is reported, not raised
                await self._drop()
                raise self._failed(f"{self.server.name} could not list its tools: {describe(exc)}") from None
            return self.tools

    async def call(self, tool_name: str, arguments: dict) -> object:
        """The server's ``CallToolResult`` for ``tool_name``; :class:`ServerUnavailable` if it
        cannot be reached, ``asyncio.TimeoutError`` past the entry's timeout, ``MCPError`` if
        the server refuses the request."""
        for attempt in (1, 2):
            async with self._guard():
                client = await self._connected()
            try:
                return await asyncio.wait_for(client.call_tool(tool_name, arguments),
                                              timeout=self.server.timeout_seconds)
            except Exception as exc:
                if not _broken(exc):
                    raise
                if self._client is client:
                    await self._drop()
                if attempt == 2:
                    raise self._failed(f"{self.server.name} closed the connection: {describe(exc)}") from None
                log.info("MCP server %s: the session broke (%s); opening it again", self.server.key, describe(exc))
        raise AssertionError("unreachable")

    # -- the session -------------------------------------------------------------------------
    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _connected(self) -> Client:
        """The open session, opened now if there is none (the caller holds the lock)."""
        if self._client is not None and self._holder is not None and not self._holder.done():
            return self._client
        await self._drop()
        if self.state == "down" and time.monotonic() < self._next_try:
            raise ServerUnavailable(self.error or f"{self.server.name} cannot be reached")
        ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self._closing = asyncio.Event()
        self._holder = asyncio.ensure_future(self._hold(ready, self._closing))
        try:
            self._client = await asyncio.wait_for(asyncio.shield(ready), timeout=self.server.timeout_seconds)
        except asyncio.TimeoutError:
            await self._drop()
            raise self._failed(f"{self.server.name} did not answer within {self.server.timeout_seconds:g} s") from None
        except Exception as exc:  # noqa: BLE001 - refused, not found, a broken handshake: all mean "down"
            await self._drop()
            raise self._failed(f"{self.server.name} cannot be reached: {describe(exc)}") from None
        return self._client

    async def _hold(self, ready: asyncio.Future, closing: asyncio.Event) -> None:
        """Open the session, hand it over, and keep it open until asked to close (one task
        enters and leaves the SDK's context, as anyio requires)."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = Client(await self._target(stack), read_timeout_seconds=self.server.timeout_seconds,
                                cache=None)
                await stack.enter_async_context(client)
                ready.set_result(client)
                await closing.wait()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the session
            if not ready.done():
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
            if not isinstance(exc, (Exception, asyncio.CancelledError)):
                raise

    async def _target(self, stack: contextlib.AsyncExitStack):
        if self.server.transport == "stdio":
            return StdioServerParameters(command=self.server.command, args=list(self.server.args),
                                         env=self.server.child_environment())
        http = await stack.enter_async_context(httpx2.AsyncClient(
            headers=self.server.request_headers(),
            timeout=httpx2.Timeout(self.server.timeout_seconds, read=max(300.0, self.server.timeout_seconds))))
        return streamable_http_client(self.server.url, http_client=http)

    async def _list(self, client: Client) -> None:
        listed: list[ListedTool] = []
        cursor = None
        for _ in range(MAX_PAGES):
            page = await asyncio.wait_for(client.list_tools(cursor=cursor), timeout=self.server.timeout_seconds)
            listed.extend(ListedTool(tool.name, tool.title, tool.description or "", dict(tool.input_schema or {}))
                          for tool in page.tools if self.server.allows(tool.name))
            cursor = page.next_cursor
            if not cursor:
                break
        self.tools, self.listed_at, self.state, self.error, self._failures = listed, time.monotonic(), "up", None, 0
        self._on_change(self)

    def _failed(self, reason: str) -> ServerUnavailable:
        self._failures += 1
        self.state, self.error = "down", reason
        self._next_try = time.monotonic() + min(self._retry_max, 2 ** (self._failures - 1))
        log.warning("MCP server %s: %s (next try in %.0f s)", self.server.key, reason,
                    self._next_try - time.monotonic())
        self._on_change(self)
        return ServerUnavailable(reason)

    async def _drop(self) -> None:
        """Close the session, if one is open or opening."""
        holder, closing = self._holder, self._closing
        self._client = self._holder = self._closing = None
        if holder is None:
            return
        closing.set()
        try:
            await asyncio.wait_for(holder, timeout=5)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001 - closing what broke
            holder.cancel()

    async def close(self) -> None:
        await self._drop()


def _broken(exc: BaseException) -> bool:
    """Whether ``exc`` says the session itself is gone (so a new one may carry the call)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return isinstance(exc, BROKEN) or (isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED)


def describe(exc: BaseException) -> str:
    """An exception in a few words (an anyio group: its first cause)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return exc.message
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx2.ConnectError):
        return "connection refused"
    if isinstance(exc, FileNotFoundError):
        return f"no such command ({exc.filename or exc})"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class LinkHub:
    """Every server's link in this process, rebuilt for an entry when the model file changes it."""

    def __init__(self, retry_max: float, on_change: Callable[[ServerLink], None]) -> None:
        self._retry_max = retry_max
        self._on_change = on_change
        self._links: dict[str, ServerLink] = {}

    def link(self, server: McpServer) -> ServerLink:
        current = self._links.get(server.key)
        if current is None or current.server != server:
            if current is not None:
                asyncio.ensure_future(current.close())
            current = self._links[server.key] = ServerLink(server, self._retry_max, self._on_change)
        return current

    async def close(self) -> None:
        for link in list(self._links.values()):
            await link.close()
        self._links.clear()
