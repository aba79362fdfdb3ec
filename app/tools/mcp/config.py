"""The MCP servers an instance offers, as its operator wrote them in the model file.

A chat member never configures a server: entries sit under ``mcp_servers`` in the model file,
or in a file it names with ``mcp_servers_file`` (relative to the model file)::

    mcp_servers:
      tracker:
        name: Issue tracker
        transport: streamable-http
        url: https://tracker.example.com/mcp
        api_key_env: TRACKER_TOKEN        # sent as "Authorization: Bearer …"
        headers_env: {X-Team: TRACKER_TEAM}
        timeout_seconds: 20
        tools: [search_issues, get_issue]  # optional allow-list
      notes:
        name: Team notes
        transport: stdio
        command: notes-mcp
        args: [--root, /srv/notes]
        env: [NOTES_TOKEN]                 # the only variables the child gets (besides PATH, HOME…)
        default: off                       # accounts switch it on themselves

Secrets stay in the environment: the file names the variables, never their values.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TRANSPORTS = ("streamable-http", "stdio")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
BUILT_IN = "builtin"  # the group of Confab's own tools, in a chat's switches


class McpConfigError(ValueError):
    """An MCP server entry cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class McpServer:
    """One server an instance offers."""

    key: str
    name: str
    transport: str
    url: str | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    api_key_env: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # literal values: nothing secret
    headers_env: tuple[tuple[str, str], ...] = ()  # header → the variable holding its value
    timeout_seconds: float = 30.0
    allowed_tools: tuple[str, ...] | None = None
    list_ttl_seconds: float = 300.0
    max_result_chars: int = 20_000
    on_by_default: bool = True
    unset: tuple[str, ...] = field(default=(), compare=False)  # variables named but not set

    def request_headers(self) -> dict[str, str]:
        """The headers sent to a streamable-HTTP server, secrets read from the environment now."""
        headers = dict(self.headers)
        if self.api_key_env and os.environ.get(self.api_key_env):
            headers["Authorization"] = f"Bearer {os.environ[self.api_key_env]}"
        for header, variable in self.headers_env:
            if os.environ.get(variable):
                headers[header] = os.environ[variable]
        return headers

    def child_environment(self) -> dict[str, str]:
        """The variables a stdio server is given: those its entry names, and nothing else of
        Confab's (the SDK adds only PATH, HOME, LOGNAME, SHELL, TERM and USER)."""
        return {name: os.environ[name] for name in self.env if name in os.environ}

    def allows(self, tool_name: str) -> bool:
        return self.allowed_tools is None or tool_name in self.allowed_tools

    @property
    def where(self) -> str:
        """Where the server is, for its operator (never shown to members: a URL may hold a secret)."""
        return self.url or " ".join((self.command or "", *self.args)).strip()


def servers(models_file: str | Path) -> dict[str, McpServer]:
    """The servers the model file names, by key (cached until the file changes)."""
    path = Path(models_file)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    cached = _cache.get(str(path))
    if cached is None or cached[0] != stamp:
        cached = (stamp, load(path))
        _cache[str(path)] = cached
    return cached[1]


_cache: dict[str, tuple[int, dict[str, McpServer]]] = {}


def load(models_file: Path) -> dict[str, McpServer]:
    """Parse the MCP entries of ``models_file``; raise :class:`McpConfigError` naming the problem."""
    data = _read(models_file)
    entries = data.get("mcp_servers") if isinstance(data, dict) else None
    named = data.get("mcp_servers_file") if isinstance(data, dict) else None
    where = models_file
    if named is not None:
        if not isinstance(named, str) or entries is not None:
            raise McpConfigError(f"{models_file}: mcp_servers_file must be a path, instead of mcp_servers")
        where = (models_file.parent / named).resolve()
        document = _read(where)
        entries = document.get("mcp_servers", document) if isinstance(document, dict) else document
    if entries is None:
        return {}
    if not isinstance(entries, dict):
        raise McpConfigError(f"{where}: mcp_servers must be a mapping of server keys to entries")
    try:
        return {key: _entry(key, spec) for key, spec in entries.items()}
    except McpConfigError as exc:
        raise McpConfigError(f"{where}: {exc}") from None


def _read(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise McpConfigError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise McpConfigError(f"{path}: not valid YAML: {exc}") from exc


def _entry(key: object, spec: object) -> McpServer:
    if not isinstance(key, str) or not KEY.match(key):
        raise McpConfigError(f"MCP server key {key!r} must be lower-case letters, digits and _ "
                             "(at most 24, starting with a letter)")
    where = f"MCP server {key!r}"
    if key == BUILT_IN:
        raise McpConfigError(f"{where}: the key {BUILT_IN!r} is Confab's own tools")
    if not isinstance(spec, dict):
        raise McpConfigError(f"{where} must be a mapping")
    known = {"name", "transport", "url", "command", "args", "env", "api_key_env", "headers", "headers_env",
             "timeout_seconds", "tools", "list_ttl_seconds", "max_result_chars", "default"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise McpConfigError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    transport = spec.get("transport")
    if transport not in TRANSPORTS:
        raise McpConfigError(f"{where}: transport must be one of {', '.join(TRANSPORTS)}")
    url, command = spec.get("url"), spec.get("command")
    if transport == "streamable-http" and not (isinstance(url, str) and re.match(r"^https?://[^\s]+$", url)):
        raise McpConfigError(f"{where}: a streamable-http server needs an http(s) url")
    if transport == "stdio" and not (isinstance(command, str) and command.strip()):
        raise McpConfigError(f"{where}: a stdio server needs a command")
    args = _strings(spec.get("args", []), f"{where}: args")
    env = _strings(spec.get("env", []), f"{where}: env")
    if any(not VARIABLE.match(name) for name in env):
        raise McpConfigError(f"{where}: env lists variable names, not values")
    api_key_env = spec.get("api_key_env")
    if api_key_env is not None and not (isinstance(api_key_env, str) and VARIABLE.match(api_key_env)):
        raise McpConfigError(f"{where}: api_key_env must be a variable name")
    headers = _mapping(spec.get("headers", {}), f"{where}: headers")
    headers_env = _mapping(spec.get("headers_env", {}), f"{where}: headers_env")
    if any(not VARIABLE.match(variable) for _, variable in headers_env):
        raise McpConfigError(f"{where}: headers_env maps a header to a variable name")
    tools = spec.get("tools")
    allowed = None if tools is None else _strings(tools, f"{where}: tools")
    default = spec.get("default", True)
    if default not in (True, False, "on", "off"):
        raise McpConfigError(f"{where}: default must be on or off")
    named = [api_key_env, *env, *(variable for _, variable in headers_env)]
    return McpServer(
        key=key, name=_name(spec.get("name", key), where), transport=transport,
        url=url if transport == "streamable-http" else None,
        command=command if transport == "stdio" else None, args=args, env=env, api_key_env=api_key_env,
        headers=headers, headers_env=headers_env,
        timeout_seconds=_number(spec.get("timeout_seconds", 30), f"{where}: timeout_seconds", 0.1, 600),
        allowed_tools=allowed,
        list_ttl_seconds=_number(spec.get("list_ttl_seconds", 300), f"{where}: list_ttl_seconds", 0, 86_400),
        max_result_chars=int(_number(spec.get("max_result_chars", 20_000), f"{where}: max_result_chars",
                                     100, 1_000_000)),
        on_by_default=default in (True, "on"),
        unset=tuple(name for name in named if name and name not in os.environ))


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 80:
        raise McpConfigError(f"{where}: name must be text of at most 80 characters")
    return value.strip()


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise McpConfigError(f"{where} must be a list of text")
    return tuple(value)


def _mapping(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and HEADER.match(k) and isinstance(v, str)
                                              for k, v in value.items()):
        raise McpConfigError(f"{where} must map header names to text")
    return tuple(value.items())


def _number(value: object, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise McpConfigError(f"{where} must be a number from {low:g} to {high:g}")
    return float(value)
