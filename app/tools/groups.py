"""The tool groups as pages show them: Confab's own tools and each MCP server, with whether
they are on, the server's last seen state and its tools (``app/tools/mcp/status.py``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.models import Account, Chat
from app.tools import registry
from app.tools.mcp import status
from app.tools.mcp.config import BUILT_IN, McpConfigError, McpServer
from app.tools.mcp.switches import account_has_on, configured


@dataclass
class ToolGroup:
    key: str
    name: str
    on: bool
    tools: list[dict] = field(default_factory=list)  # name, description
    state: str = "ready"  # ready (Confab's own), up, down, idle (not connected yet)
    error: str | None = None

    def public(self) -> dict:
        return {"key": self.key, "name": self.name, "on": self.on, "tools": self.tools, "state": self.state,
                "error": self.error}


def _server_group(server: McpServer, on: bool, seen: dict) -> ToolGroup:
    last = seen.get(server.key) or {}
    tools = [{"name": t.get("name", ""), "description": t.get("description") or ""}
             for t in last.get("tools") or [] if isinstance(t, dict)]
    return ToolGroup(server.key, server.name, on, tools, last.get("state") or "idle", last.get("error"))


def _servers() -> tuple[dict[str, McpServer], str | None]:
    try:
        return configured(), None
    except McpConfigError as exc:
        return {}, str(exc)


def for_account(account: Account) -> tuple[list[ToolGroup], str | None]:
    """Every configured server with whether ``account`` has it on, and the model file's error if
    its MCP entries cannot be read."""
    servers, problem = _servers()
    seen = status.seen() if servers else {}
    return [_server_group(s, account_has_on(account.mcp_servers, s), seen) for s in servers.values()], problem


def for_chat(chat: Chat) -> list[ToolGroup]:
    """Confab's own tools and the servers on for the chat's account, each on or off in ``chat``."""
    off = set(chat.tools_off or [])
    groups = [ToolGroup(BUILT_IN, "Confab's tools", BUILT_IN not in off,
                        [{"name": t.name, "description": t.description} for t in registry.all_tools()])]
    servers, _ = _servers()
    on_for_account = [s for s in servers.values() if account_has_on(chat.account.mcp_servers, s)]
    seen = status.seen() if on_for_account else {}
    groups.extend(_server_group(s, s.key not in off, seen) for s in on_for_account)
    return groups
