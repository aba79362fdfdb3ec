"""``flask models refresh``: every configured provider's own list of models, merged into the
registry with each figure's source (SPEC §3, §8).

For each provider: ask its list (``app/llm/listing.py``); read each entry
(``listed.py``); where the list has no prices or limits, take them from the price library
(``price_library.py``); where the model file states a field, the file wins. New models
arrive switched off unless the provider's ``enable`` matches them; models the list no
longer holds are marked unavailable, never deleted; a provider that does not answer keeps
its models as they were. The writes are a constant number of statements however long the
list: one read of the provider's models, one insert of the new, one update of the changed,
two of availability.
"""
from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.catalog import listed as listing_entries
from app.catalog import adjustments, price_library, registry
from app.extensions import db
from app.llm.clients import base_url_for
from app.llm.errors import LlmError, MissingApiKey
from app.llm.listing import list_models
from app.models import LlmModel, LlmProvider
from app.models.base import utcnow

MAX_MODEL_ID = 120


@dataclass
class ProviderRefresh:
    """What one provider's refresh did; ``error`` set when it kept its models as they were."""

    key: str
    listed: int = 0
    added: int = 0
    changed: int = 0
    gone: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    no_key: bool = False  # not asked: its key variable is unset
    seconds: float = 0.0

    def summary(self) -> str:
        if self.no_key:
            return f"{self.key}: not asked: {self.error}"
        if self.error:
            return f"{self.key}: not refreshed: {self.error} Its models are kept as they were."
        gone = f", {self.gone} no longer listed (marked unavailable)" if self.gone else ""
        skipped = f", {len(self.skipped)} skipped (ids too long)" if self.skipped else ""
        return (f"{self.key}: {self.listed} listed, {self.added} added, {self.changed} changed{gone}{skipped} "
                f"in {self.seconds:.2f} s.")


class UnknownProvider(LookupError):
    """``--provider`` named no provider in the registry."""


def enabled_by(patterns: str | list[str] | None, model_id: str) -> bool:
    """Whether a provider's ``enable`` ("all", or a list of id patterns) switches a new model on."""
    if patterns == "all":
        return True
    return any(fnmatch.fnmatchcase(model_id, pattern) for pattern in patterns or [])


def refresh(provider_key: str | None = None, models_file: str | Path | None = None) -> list[ProviderRefresh]:
    """Refresh every provider (or the one named) and commit what each found.

    Providers whose key variable is unset are reported, not asked."""
    query = sa.select(LlmProvider).where(LlmProvider.removed_at.is_(None)).order_by(LlmProvider.key)
    if provider_key is not None:
        query = query.where(LlmProvider.key == provider_key)
    providers = list(db.session.execute(query).scalars())
    if provider_key is not None and not providers:
        raise UnknownProvider(f"No provider {provider_key!r} in the registry.")
    stated = _stated_by_file(models_file or current_app.config["MODELS_FILE"])
    timeout = current_app.config["MODEL_LIST_TIMEOUT_SECONDS"]
    results = []
    for provider in providers:
        started = time.monotonic()
        result = ProviderRefresh(provider.key)
        try:
            entries = list_models(provider, timeout)
        except MissingApiKey as exc:
            result.error, result.no_key = exc.message, True
        except LlmError as exc:
            result.error = exc.message
            provider.refresh_error = exc.message[:500]
        else:
            _merge(provider, entries, stated.get(provider.key, {}), result)
            provider.refresh_error, provider.refreshed_at = None, utcnow()
        db.session.commit()
        result.seconds = time.monotonic() - started
        results.append(result)
    return results


def _stated_by_file(path: str | Path) -> dict[str, dict[str, dict]]:
    """The model file's entries by provider key and model id: what the file says wins."""
    found: dict[str, dict[str, dict]] = {}
    for model_id, spec in registry.load_file(path)["models"].items():
        found.setdefault(spec["provider"], {})[model_id] = registry.stated(spec)
    return found


def _merge(provider: LlmProvider, entries: list[dict], stated: dict[str, dict], result: ProviderRefresh) -> None:
    base_url = base_url_for(provider)
    now = utcnow()
    mine = {m.remote_id: m for m in db.session.execute(sa.select(LlmModel).where(
        LlmModel.provider_id == provider.id)).scalars()}
    taken = set(db.session.execute(sa.select(LlmModel.id)).scalars())
    inserts, updates, seen = [], [], set()
    for entry in entries:
        found = listing_entries.read(entry)
        if found is None or found.api_id in seen:
            continue
        seen.add(found.api_id)
        values = _values(found, base_url)
        row = mine.get(found.api_id)
        if row is None:
            model_id = _new_id(provider.key, found.api_id, taken)
            if model_id is None:
                result.skipped.append(found.api_id)
                continue
            taken.add(model_id)
            values.update(stated.get(model_id, {}))
            values.setdefault("enabled", enabled_by(provider.enable, model_id))
            inserts.append({"id": model_id, "api_id": None if model_id == found.api_id else found.api_id,
                            "provider_id": provider.id, "available": True, "refreshed_at": now,
                            "created_at": now, "updated_at": now, **values})
            continue
        values.update(stated.get(row.id, {}))
        values.update(adjustments.overridden(row.overrides))
        changes = {name: value for name, value in values.items() if not registry.same(getattr(row, name), value)}
        if changes:
            updates.append({"id": row.id, "updated_at": now, **changes})
    result.listed = len(seen)
    if inserts:
        db.session.execute(sa.insert(LlmModel), inserts)
    if updates:
        db.session.execute(sa.update(LlmModel), updates)
    known = [row.id for remote, row in mine.items() if remote in seen]
    gone = [row.id for remote, row in mine.items() if remote not in seen and row.available]
    if known:
        db.session.execute(sa.update(LlmModel).where(LlmModel.id.in_(known))
                           .values(available=True, refreshed_at=now).execution_options(synchronize_session=False))
    if gone:
        db.session.execute(sa.update(LlmModel).where(LlmModel.id.in_(gone))
                           .values(available=False, updated_at=now).execution_options(synchronize_session=False))
    result.added, result.changed, result.gone = len(inserts), len(updates), len(gone)


def _values(found: listing_entries.Listed, base_url: str) -> dict:
    """A listed model's fields and their sources: the provider's own figures first, the price
    library's where the provider gave none; a price nobody states stays None (unknown)."""
    values = {"name": found.name, "kind": found.kind, "capabilities": found.capabilities,
              "input_price": None, "cached_input_price": None, "output_price": None, "price_source": None,
              "context_window": found.context_window, "max_output_tokens": found.max_output_tokens,
              "limits_source": "provider" if found.context_window else None}
    if found.priced:
        values.update(input_price=found.input_price, cached_input_price=found.cached_input_price,
                      output_price=found.output_price, price_source="provider")
    if not found.priced or not found.context_window:
        library = price_library.look_up(found.api_id, base_url)
        if library is not None and library.priced and not found.priced:
            values.update(input_price=library.input_price, cached_input_price=library.cached_input_price,
                          output_price=library.output_price, price_source="library")
        if library is not None and library.context_window and not found.context_window:
            values.update(context_window=library.context_window, limits_source="library")
    values["context_window"] = values["context_window"] or registry.NEW_MODEL["context_window"]
    values["max_output_tokens"] = min(values["max_output_tokens"] or registry.NEW_MODEL["max_output_tokens"],
                                      values["context_window"])
    return values


def _new_id(provider_key: str, api_id: str, taken: set[str]) -> str | None:
    """The provider's own id when free; else the id under the provider's key (two local servers
    may both serve ``llama3``); None when no id fits."""
    for candidate in (api_id, f"{provider_key}:{api_id}"):
        if candidate not in taken and len(candidate) <= MAX_MODEL_ID:
            return candidate
    return None
