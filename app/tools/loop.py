"""The tool loop of one reply (SPEC §7): run the calls a model asked for, tell the room, and
build the follow-up request.

A reply's rounds are driven by ``app/replies/workflow.py``: stream the model's answer; if it
ends asking for tools, :meth:`ToolLoop.run_calls` runs every call of that response at once on
the worker (each checked against its schema, each under a time limit, on a small thread
pool), and :meth:`ToolLoop.follow_up` adds the assistant's calls and their results to the
request for the next round. A tool that raises, an unknown tool, arguments that are not JSON
or do not fit the schema: each becomes an error result the model reads, and the loop goes
on. Every call is announced as ``message.tool_call`` when its name arrives, and again with
its arguments and result.

What the reply is offered (Confab's own tools and those of MCP servers) is its
:class:`~app.tools.offering.Offer`, listed on the stream loop before the first round. An MCP
call runs on that loop too, through the server's open session (``app/tools/mcp/links.py``):
a server that is down, a call past the server's timeout, a tool the server no longer has or
an ``isError`` result is an error result the model reads.
"""
from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import current_app

from app.extensions import db
from app.llm.streaming import ToolCallRequest
from app.platform.isolated import IsolatedError, isolated_calls
from app.tools.base import Tool, ToolContext, ToolError, parse_arguments
from app.tools.mcp import results
from app.tools.mcp.links import LinkHub, McpRefusal, ServerUnavailable, describe
from app.tools.offering import McpTool, Offer

MAX_RESULT_CHARS = 20_000
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="tool")


@dataclass
class CallRecord:
    """One tool call of a reply, as stored (``tool_calls``) and shown."""

    id: str
    name: str
    round: int
    arguments: dict | list | str | None = None
    status: str = "running"
    result: str | None = None
    duration_ms: int | None = None
    server: str | None = None  # the MCP server's name; None for Confab's own tools
    pictures: list[results.Picture] = field(default_factory=list)

    def public(self) -> dict:
        return {"id": self.id, "name": self.name, "arguments": self.arguments, "round": self.round,
                "status": self.status, "result": self.result, "duration_ms": self.duration_ms,
                "server": self.server}


class ToolLoop:
    def __init__(self, app, context: ToolContext, announce: Callable[[dict], None], timeout: float,
                 hub: LinkHub | None = None) -> None:
        self._app = app
        self._context = context
        self._announce = announce
        self._timeout = timeout
        self.hub = hub
        self.offer = Offer()
        self.records: list[CallRecord] = []
        self._by_id: dict[tuple[int, str], CallRecord] = {}

    def _server_of(self, name: str) -> str | None:
        tool = self.offer.find(name)
        return tool.server.name if isinstance(tool, McpTool) else None

    def started(self, round_number: int, call_id: str, name: str) -> None:
        """The model has named a call: show it at once, arguments still to come."""
        record = CallRecord(call_id, name, round_number, server=self._server_of(name))
        self.records.append(record)
        self._by_id[(round_number, call_id)] = record
        self._announce(record.public())

    async def run_calls(self, round_number: int, calls: tuple[ToolCallRequest, ...],
                        cancelled: threading.Event) -> list[CallRecord]:
        """Run every call of one response at once; each ends ``ok`` or ``error``."""
        records = []
        for call in calls:
            record = self._by_id.get((round_number, call.id))
            if record is None:
                record = CallRecord(call.id, call.name, round_number, server=self._server_of(call.name))
                self.records.append(record)
            record.arguments = call.parsed_arguments()
            records.append(record)
            self._announce(record.public())
        loop = asyncio.get_running_loop()
        work = asyncio.gather(*(self._run_one(loop, record, call) for record, call in zip(records, calls)))
        while not work.done():
            await asyncio.wait({work}, timeout=0.05)
            if cancelled.is_set():
                work.cancel()
                for record in records:
                    if record.status == "running":
                        record.status, record.result = "error", "Stopped: the reply was cancelled."
                return records
        return records

    async def _run_one(self, loop, record: CallRecord, call: ToolCallRequest) -> None:
        started = time.monotonic()
        timeout = self._timeout
        try:
            tool = self.offer.find(call.name)
            if tool is None:
                known = ", ".join(self.offer.tools) or "none"
                raise ToolError(f"There is no tool named “{call.name}”. The tools are: {known}.")
            if isinstance(tool, McpTool):
                timeout = tool.server.timeout_seconds
                await self._call_mcp(tool, call, record)
            else:
                arguments = parse_arguments(tool, call.arguments)
                result = await asyncio.wait_for(
                    loop.run_in_executor(_executor, self._call, tool, arguments), timeout=timeout)
                record.status, record.result = "ok", results.clip(result, MAX_RESULT_CHARS)
        except ToolError as exc:
            record.status, record.result = "error", str(exc)
        except asyncio.TimeoutError:
            record.status, record.result = "error", f"The tool took longer than {timeout:g} s and was stopped."
        except Exception as exc:  # a tool's own bug: the model hears of it, the reply goes on
            record.status, record.result = "error", f"The tool failed: {type(exc).__name__}: {exc}"
        record.duration_ms = round((time.monotonic() - started) * 1000)
        self._announce(record.public())

    async def _call_mcp(self, tool: McpTool, call: ToolCallRequest, record: CallRecord) -> None:
        """Call ``tool`` on its server; the result's text (cut at the server's limit) and pictures
        go on ``record``."""
        arguments = _mcp_arguments(tool, call.arguments)
        try:
            result = await self.hub.link(tool.server).call(tool.remote_name, arguments)
        except ServerUnavailable as exc:
            raise ToolError(f"{str(exc).rstrip('.')}. The tool could not be called.") from None
        except McpRefusal as exc:
            raise ToolError(f"{tool.server.name} refused the call: {describe(exc)}") from None
        converted = results.convert(result, tool.server.max_result_chars)
        record.status = "error" if converted.is_error else "ok"
        record.result = converted.text or ("The tool failed without saying why." if converted.is_error else "")
        record.pictures = converted.pictures

    def _call_isolated(self, tool: Tool, arguments: dict) -> str:
        """Run ``tool`` in a process of its own (``app/platform/isolated.py``), killed if it overruns."""
        try:
            return isolated_calls().run(f"{tool.run.__module__}:{tool.run.__name__}", [arguments, None], self._timeout)
        except IsolatedError as exc:
            if exc.kind == "ToolError":
                raise ToolError(exc.message) from None
            if exc.kind == "Timeout":
                raise ToolError(f"The tool took longer than {self._timeout:g} s and was stopped.") from None
            if exc.kind == "Died":
                raise ToolError("The tool's process ended before it answered.") from None
            raise ToolError(f"The tool failed: {exc.kind}: {exc.message}") from None

    def _call(self, tool: Tool, arguments: dict) -> str:
        if tool.isolated:
            return self._call_isolated(tool, arguments)
        if not tool.needs_database:
            return tool.run(arguments, self._context)
        with self._app.app_context():
            try:
                return tool.run(arguments, self._context)
            finally:
                db.session.remove()


def follow_up(text: str, records: list[CallRecord], *, vision: bool = False) -> list[dict]:
    """The assistant's turn that asked for ``records`` and one ``tool`` message per result; for a
    model with ``vision``, the pictures the results carried follow in one user message (a tool
    message holds text only)."""
    calls = [{"id": r.id, "type": "function",
              "function": {"name": r.name, "arguments": r.arguments if isinstance(r.arguments, str)
                           else json.dumps(r.arguments if r.arguments is not None else {})}} for r in records]
    turn = [{"role": "assistant", "content": text or None, "tool_calls": calls},
            *({"role": "tool", "tool_call_id": r.id, "content": _for_model(r)} for r in records)]
    pictures = [(r, picture) for r in records for picture in r.pictures] if vision else []
    if pictures:
        parts: list[dict] = [{"type": "text", "text": "The pictures the tools returned, in order:"}]
        parts.extend({"type": "image_url", "image_url": {
            "url": f"data:{picture.mime_type};base64,{base64.b64encode(picture.data).decode()}"}}
            for _, picture in pictures)
        turn.append({"role": "user", "content": parts})
    return turn


def _for_model(record: CallRecord) -> str:
    return record.result or "" if record.status == "ok" else f"Error: {record.result}"


def _mcp_arguments(tool: McpTool, raw: str) -> dict:
    """The call's arguments as a JSON object; the server checks them against its own schema."""
    try:
        arguments = json.loads(raw or "{}")
    except ValueError as exc:
        raise ToolError(f"The arguments are not valid JSON ({exc.msg} at character {exc.pos}).") from None
    if not isinstance(arguments, dict):
        raise ToolError(f"The arguments of {tool.name} must be a JSON object.")
    return arguments


def loop_for_reply(message_id: int, chat_id: int, context: ToolContext, hub: LinkHub | None) -> ToolLoop:
    """The tool loop of one reply, working for ``context`` (the member who asked, in the chat's
    account), its calls announced to the chat's room; ``hub`` holds this process's MCP links."""
    publish = current_app.extensions["confab.publish"]

    def announce(call: dict) -> None:
        publish([["message.tool_call", chat_id, {"chat_id": chat_id, "message_id": message_id, "call": call}]])

    return ToolLoop(current_app._get_current_object(), context, announce, current_app.config["TOOL_TIMEOUT_SECONDS"],
                    hub)
