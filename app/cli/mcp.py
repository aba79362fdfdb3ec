"""``flask mcp list``: each MCP server of the model file, asked now for its tools."""
from __future__ import annotations

import asyncio

import click
from flask import current_app
from flask.cli import AppGroup

from app.platform.redis_client import get_redis
from app.tools.mcp import status
from app.tools.mcp.config import McpConfigError
from app.tools.mcp.links import LinkHub, ServerUnavailable
from app.tools.mcp.switches import configured

mcp_cli = AppGroup("mcp", help="Model Context Protocol servers (tools for models).")


@mcp_cli.command("list")
@click.option("--server", "only", help="Ask one server (its key) only.")
def list_servers(only: str | None) -> None:
    """Connect to each server (or one), list its tools and record what was seen for the pages;
    exits 1 if one cannot be reached."""
    try:
        servers = configured()
    except McpConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if only is not None and only not in servers:
        raise click.ClickException(f"There is no MCP server {only!r}. Servers: {', '.join(servers) or 'none'}.")
    chosen = [s for s in servers.values() if only in (None, s.key)]
    if not chosen:
        click.echo(f"No MCP servers in {current_app.config['MODELS_FILE']}.")
        return
    hub = LinkHub(retry_max=0, on_change=status.recorder(get_redis()))
    failed = asyncio.run(_ask(hub, chosen))
    if failed:
        raise SystemExit(1)


async def _ask(hub: LinkHub, servers: list) -> int:
    failed = 0
    try:
        for server in servers:
            default = "on" if server.on_by_default else "off"
            click.echo(f"{server.key}  {server.name}  ({server.transport}: {server.where}; accounts: {default} "
                       f"by default; timeout {server.timeout_seconds:g} s)")
            if server.unset:
                click.echo(f"  not set in the environment: {', '.join(server.unset)}")
            try:
                tools = await hub.link(server).listed_tools()
            except ServerUnavailable as exc:
                failed += 1
                click.echo(f"  down: {exc}")
                continue
            click.echo(f"  up: {len(tools)} tool{'' if len(tools) == 1 else 's'}")
            for tool in tools:
                click.echo(f"    {tool.name}  {tool.description.splitlines()[0] if tool.description else ''}".rstrip())
    finally:
        await hub.close()
    return failed
