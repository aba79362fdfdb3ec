"""What the chat templates need beyond their view's data: the sidebar's first page, money, times."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask_login import current_user
from jinja2 import pass_context

from app.chats import bp
from app.conversations import chats as chat_service
from app.costs import usage
from app.models.base import as_utc


@bp.app_template_global()
@pass_context
def sidebar_chats(context) -> SimpleNamespace:
    """The current account's most recently active chats (the sidebar's first page), for the
    account the context processor already loaded (``app/identity/scoping.py``)."""
    account = context.get("current_account")
    if account is None:
        return SimpleNamespace(chats=[], next_after=None)
    chats, next_after = chat_service.list_chats(account, current_user.id)
    return SimpleNamespace(chats=chats, next_after=next_after)


@bp.app_template_filter("utc_iso")
def utc_iso(value: datetime | None) -> str:
    """An ISO 8601 time with its UTC offset, for ``<time datetime>`` (the browser shows it local)."""
    return as_utc(value).isoformat() if value else ""


@bp.app_template_filter("usd")
def usd(value) -> str:
    """Dollars and cents, never a non-zero amount shown as $0.00."""
    return usage.usd(value)
