"""The tools one reply is offered: Confab's own (unless its chat has them off) and those of
the MCP servers on for its chat, listed on the stream loop when the reply starts.

:func:`choice_for` decides from the claimed reply's row which groups are on (no connection
made); :func:`offer` then asks each chosen server for its tools at once, waiting at most
``MCP_LIST_WAIT_SECONDS``: a server that cannot answer is left out of this reply (its reason
kept for the reply's context report), and the reply goes on with the rest.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from app.tools import registry
from app.tools.base import Tool
from app.tools.mcp import naming, schemas
from app.tools.mcp.config import BUILT_IN, McpServer
from app.tools.mcp.links import LinkHub, ServerUnavailable
from app.tools.mcp.switches import servers_on


@dataclass(frozen=True)
class McpTool:
    """A server's tool as a model is offered it."""

    name: str  # unique in the reply: ``{server}__{tool}``
    server: McpServer
    remote_name: str
    description: str
    parameters: dict

    def as_openai(self) -> dict:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}


@dataclass(frozen=True)
class ToolChoice:
    """The tool groups a reply may use, decided when it is claimed."""

    builtin: bool
    servers: tuple[McpServer, ...]


@dataclass
class Offer:
    tools: dict[str, Tool | McpTool] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # server name → why it was left out

    def as_openai(self) -> list[dict] | None:
        return [tool.as_openai() for tool in self.tools.values()] or None

    def find(self, name: str) -> Tool | McpTool | None:
        return self.tools.get(name)


def choice_for(capabilities: frozenset[str], tools_off: list | None, account_choices: dict | None,
               available: dict[str, McpServer]) -> ToolChoice | None:
    """What a reply may use, or None: a model without ``tools`` gets none."""
    if "tools" not in capabilities:
        return None
    builtin = BUILT_IN not in (tools_off or [])
    chosen = tuple(servers_on(account_choices, tools_off, available))
    return ToolChoice(builtin, chosen) if builtin or chosen else None


async def offer(choice: ToolChoice, hub: LinkHub, wait: float) -> Offer:
    """Every tool of ``choice``, the servers asked at once."""
    made = Offer()
    if choice.builtin:
        made.tools.update((tool.name, tool) for tool in registry.all_tools())
    if not choice.servers:
        return made
    asked = [asyncio.ensure_future(hub.link(server).listed_tools()) for server in choice.servers]
    done, pending = await asyncio.wait(asked, timeout=wait)
    for task in pending:
        task.cancel()
    pairs, listed = [], {}
    for server, task in zip(choice.servers, asked):
        if task in pending:
            made.unavailable[server.name] = f"{server.name} did not list its tools within {wait:g} s"
        elif task.exception() is not None:
            error = task.exception()
            made.unavailable[server.name] = str(error) if isinstance(error, ServerUnavailable) else repr(error)
        else:
            for tool in task.result():
                pairs.append((server.key, tool.name))
                listed[(server.key, tool.name)] = (server, tool)
    for name, pair in naming.unique_names(pairs, taken=set(made.tools)).items():
        server, tool = listed[pair]
        made.tools[name] = McpTool(name, server, tool.name, f"[{server.name}] {tool.description}".strip(),
                                   schemas.parameters(tool.input_schema))
    return made
