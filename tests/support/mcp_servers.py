"""Real MCP servers for the suites, built with the ``mcp`` package's own server API.

``python -m tests.support.mcp_servers tracker --port P`` serves the issue tracker over
streamable HTTP on loopback; ``python -m tests.support.mcp_servers notes`` serves the notes
over stdio (started by the worker, as an operator's stdio entry would be). Each has tools that
answer, fail (``isError``), hang, return a picture, or are retired while listed
(``retire_tool``), so the suites can prove every path of the tool loop against a real server.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import os
import struct
import zlib
from typing import Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel


def tiny_png(red: int = 200, green: int = 40, blue: int = 40) -> bytes:
    """A 2×2 PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes((red, green, blue)) * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Filters(BaseModel):
    labels: list[str] = []
    state: Literal["open", "closed", "any"] = "open"


def tracker() -> MCPServer:
    server = MCPServer("tracker")

    @server.tool(description="Search the team's issues by words in their title.")
    def search_issues(query: str, filters: Filters | None = None) -> str:
        state = filters.state if filters else "open"
        return f"3 {state} issues match “{query}”: #101 Login fails, #102 Slow search, #103 Dark mode"

    @server.tool(description="Fail on purpose, as a broken tool does.")
    def break_things(reason: str = "") -> str:
        raise ValueError(f"the tracker is broken{': ' + reason if reason else ''}")

    @server.tool(description="Answer after the given number of seconds.")
    async def slow_report(seconds: float) -> str:
        await asyncio.sleep(seconds)
        return f"report after {seconds:g} s"

    @server.tool(description="A chart of the open issues, as a picture.")
    def issue_chart() -> list:
        from mcp.types import ImageContent, TextContent
        return [TextContent(type="text", text="Open issues by week"),
                ImageContent(type="image", data=base64.b64encode(tiny_png()).decode(), mime_type="image/png")]

    @server.tool(description="A very long answer.")
    def long_report(characters: int) -> str:
        return "x" * characters

    @server.tool(description="Who this server runs as: the environment it was given.")
    def environment() -> str:
        return ", ".join(sorted(os.environ))

    @server.tool(description="Archive an issue (retired while listed by retire_tool).")
    def archive_issue(number: int) -> str:
        return f"#{number} archived"

    @server.tool(description="Take another of this server's tools away, as an upgrade would.")
    def retire_tool(name: str) -> str:
        server.remove_tool(name)
        return f"{name} retired"

    return server


def notes() -> MCPServer:
    server = MCPServer("notes")

    @server.tool(description="Find the team's notes on a subject.")
    def find_notes(subject: str) -> str:
        return f"Notes on {subject}: ship on Friday"

    @server.tool(description="The environment variables this server was started with.")
    def environment() -> str:
        return ", ".join(sorted(os.environ))

    @server.tool(description="The process id of this server.")
    def process_id() -> str:
        return str(os.getpid())

    return server


def requiring_token(app, token: str):
    """``app`` (ASGI) answering 401 to a request without ``Authorization: Bearer token``."""
    async def guarded(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != f"Bearer {token}".encode():
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"a bearer token is required"})
            return
        await app(scope, receive, send)
    return guarded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("server", choices=("tracker", "notes"))
    parser.add_argument("--port", type=int, help="serve over streamable HTTP on this port (else stdio)")
    parser.add_argument("--token", help="the bearer token HTTP requests must carry")
    args = parser.parse_args()
    server = tracker() if args.server == "tracker" else notes()
    if not args.port:
        server.run("stdio")
        return
    import uvicorn

    app = server.streamable_http_app()
    uvicorn.run(requiring_token(app, args.token) if args.token else app, host="127.0.0.1", port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()


TRACKER_TOKEN = "tracker-secret-token"  # what the stack's tracker entry sends, from TRACKER_TOKEN


def start_http(name: str, port: int, log_dir, token: str | None = TRACKER_TOKEN):
    """Serve ``name`` over streamable HTTP on ``port`` as a process of its own, once it answers."""
    import sys

    from tests.support.processes import start, wait_for_http

    args = [sys.executable, "-m", "tests.support.mcp_servers", name, "--port", str(port)]
    process = start([*args, "--token", token] if token else args, {}, log_dir / f"mcp-{name}-{port}.log")
    wait_for_http(f"http://127.0.0.1:{port}/mcp", process=process)
    return process


def servers_file(tracker_port: int, wiki_port: int) -> str:
    """The stack's MCP entries: the tracker over HTTP (a bearer token from the environment),
    the notes over stdio (given NOTES_TOKEN and nothing else of Confab's), and a wiki whose
    server is not running until a test starts it. All off by default: a test's account
    switches on what it uses, so the rest of the suites see only Confab's own tools."""
    import sys

    return f"""mcp_servers:
  tracker:
    name: Issue tracker
    transport: streamable-http
    url: http://127.0.0.1:{tracker_port}/mcp
    api_key_env: TRACKER_TOKEN
    timeout_seconds: 3
    tools: [search_issues, break_things, slow_report, issue_chart, long_report, archive_issue, retire_tool]
    max_result_chars: 2000
    default: off
  notes:
    name: Team notes
    transport: stdio
    command: {sys.executable}
    args: [-m, tests.support.mcp_servers, notes]
    env: [NOTES_TOKEN]
    timeout_seconds: 5
    default: off
  wiki:
    name: Wiki
    transport: streamable-http
    url: http://127.0.0.1:{wiki_port}/mcp
    timeout_seconds: 3
    default: off
"""
