"""Providers connected from the browser (Admin page): an OpenAI-compatible address with a
name and a key, tested by listing its models, refreshed, and removed. The key is stored
encrypted (``app/platform/secret_files.py``) and never shown again."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.llm.errors import LlmError
from app.llm.listing import list_models
from app.models import Chat, LlmModel, LlmProvider
from app.models.base import utcnow
from app.platform import secret_files

MAX_KEY = 500


class ProviderProblem(ValueError):
    """A provider that cannot be added or reached; the text is for the administrator."""


def add(name: str, base_url: str, api_key: str | None) -> LlmProvider:
    """A new provider (its models arrive with the first refresh, switched off)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise ProviderProblem("Name the provider (up to 60 characters).")
    base_url = (base_url or "").strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(base_url) > 500:
        raise ProviderProblem("The base URL must be an http:// or https:// address, such as "
                               "https://openrouter.ai/api/v1.")
    api_key = (api_key or "").strip()
    if len(api_key) > MAX_KEY or any(ch.isspace() for ch in api_key):
        raise ProviderProblem("That API key cannot be right: it is too long or has spaces in it.")
    key = _free_key(name)
    provider = LlmProvider(key=key, name=name, base_url=base_url, added_by_admin=True,
                           api_key_encrypted=secret_files.encrypt(api_key) if api_key else None)
    db.session.add(provider)
    db.session.flush()
    return provider


def _free_key(name: str) -> str:
    """A short key for the provider from its name ("OpenRouter EU" → "openrouter-eu"), made unique."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "provider"
    taken = set(db.session.execute(sa.select(LlmProvider.key).where(LlmProvider.key.like(f"{base}%"))).scalars())
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def test(provider: LlmProvider) -> list[str]:
    """The ids the provider lists right now (nothing is stored); its own error text on failure."""
    try:
        entries = list_models(provider, current_app.config["MODEL_LIST_TIMEOUT_SECONDS"])
    except LlmError as exc:
        raise ProviderProblem(exc.message) from exc
    return [entry["id"] for entry in entries if isinstance(entry.get("id"), str)]


def remove(provider: LlmProvider) -> int:
    """Remove a provider added in the browser: its key is forgotten, its models no chat uses
    are deleted, and the others are kept, switched off and unavailable, so old chats still
    name their model. How many models were deleted."""
    used = set(db.session.execute(sa.select(Chat.model_id).join(LlmModel, LlmModel.id == Chat.model_id)
                                  .where(LlmModel.provider_id == provider.id).distinct()).scalars())
    unused = [m.id for m in provider.models if m.id not in used]
    if unused:
        db.session.execute(sa.delete(LlmModel).where(LlmModel.id.in_(unused)))
    db.session.execute(sa.update(LlmModel).where(LlmModel.provider_id == provider.id)
                       .values(enabled=False, available=False).execution_options(synchronize_session=False))
    db.session.expire(provider, ["models"])
    if used:
        provider.api_key_encrypted, provider.removed_at = None, utcnow()
    else:
        db.session.delete(provider)
    return len(unused)
