"""Which tool groups are on: an account's owners switch each MCP server on or off for the
account, and a chat's members switch a group (Confab's own tools, or one server) off for the
chat. A server the account has off is never offered in its chats, whatever a chat says."""
from __future__ import annotations

from flask import current_app

from app import realtime
from app.extensions import db
from app.identity.scoping import chat_or_404, owner_membership_or_403
from app.models import Account, Chat, User
from app.tools.mcp.config import BUILT_IN, McpConfigError, McpServer, servers


class SwitchError(ValueError):
    """No such tool group; the message says so."""


def configured() -> dict[str, McpServer]:
    """The servers of the instance's model file."""
    return servers(current_app.config["MODELS_FILE"])


def account_has_on(choices: dict | None, server: McpServer) -> bool:
    """Whether an account whose owners chose ``choices`` has ``server`` on."""
    chosen = (choices or {}).get(server.key) if isinstance(choices, dict) else None
    return server.on_by_default if not isinstance(chosen, bool) else chosen


def servers_on(account_choices: dict | None, tools_off: list | None, available: dict[str, McpServer]) -> list[McpServer]:
    """The servers a chat may use: on for its account and not switched off in the chat."""
    off = set(tools_off or [])
    return [server for server in available.values()
            if account_has_on(account_choices, server) and server.key not in off]


def _configured_or_refused() -> dict[str, McpServer]:
    try:
        return configured()
    except McpConfigError as exc:
        raise SwitchError(f"The model file's MCP servers cannot be used: {exc}") from None


def switch_for_account(account: Account, key: str, on: bool) -> McpServer:
    """Switch the server ``key`` on or off for ``account`` (the caller commits)."""
    server = _configured_or_refused().get(key)
    if server is None:
        raise SwitchError(f"There is no MCP server “{key}”.")
    account.mcp_servers = {**(account.mcp_servers or {}), key: bool(on)}
    return server


def switch_for_chat(chat: Chat, key: str, on: bool) -> None:
    """Switch the tool group ``key`` (``builtin`` or a server the account has on) on or off
    for ``chat`` (the caller commits)."""
    server = _configured_or_refused().get(key) if key != BUILT_IN else None
    if key != BUILT_IN and (server is None or not account_has_on(chat.account.mcp_servers, server)):
        raise SwitchError(f"There is no tool group “{key}” in this account.")
    off = [group for group in chat.tools_off or [] if group != key]
    chat.tools_off = off if on else [*off, key]


def set_for_account(user: User, account_id: int, key: str, on: bool) -> McpServer:
    """An owner (``user``, signed in) switches a server on or off for their account (403 for a
    member, 404 for anyone else)."""
    account = owner_membership_or_403(account_id).account
    server = switch_for_account(account, key, on)
    db.session.commit()
    current_app.logger.info("user %s switched MCP server %s %s for account %s", user.id, key,
                            "on" if on else "off", account.id)
    return server


def set_for_chat(user: User, chat_id: int, key: str, on: bool) -> Chat:
    """A member switches a tool group on or off for a chat (404 unless they see it); its room
    hears ``chat.tools``."""
    chat = chat_or_404(chat_id, user)
    switch_for_chat(chat, key, on)
    db.session.commit()
    realtime.emit_to_chat(chat.id, "chat.tools", {"chat_id": chat.id, "tools_off": chat.tools_off or [],
                                                 "by": {"id": user.id, "name": user.name}})
    return chat
