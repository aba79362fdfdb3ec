"""Seeding and reading the model registry from the model file (SPEC §3, §8 model config YAML)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
import yaml

from app.extensions import db
from app.models import LlmModel, LlmProvider
from app.models.registry import CAPABILITIES, KINDS


class RegistryFileError(ValueError):
    """The model file cannot be used; the message names the file and the problem."""


@dataclass
class SeedResult:
    providers_added: int = 0
    providers_changed: int = 0
    models_added: int = 0
    models_changed: int = 0

    @property
    def changed(self) -> bool:
        return any((self.providers_added, self.providers_changed, self.models_added, self.models_changed))


def load_file(path: str | Path) -> dict:
    """Parse and validate a model file; raise :class:`RegistryFileError` naming it."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise RegistryFileError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return _validate(data)
    except RegistryFileError as exc:
        raise RegistryFileError(f"{path}: {exc}") from exc


def _validate(data: object) -> dict:
    if not isinstance(data, dict):
        raise RegistryFileError("the top level must be a mapping with 'providers' and 'models'")
    providers = data.get("providers") or {}
    models = data.get("models") or {}
    if not isinstance(providers, dict) or not isinstance(models, dict):
        raise RegistryFileError("'providers' and 'models' must be mappings")
    for key, spec in providers.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("base_url"), str):
            raise RegistryFileError(f"provider {key!r} needs a base_url")
        env = spec.get("api_key_env")
        if env is not None and not isinstance(env, str):
            raise RegistryFileError(f"provider {key!r}: api_key_env must be a variable name or null")
        enable = spec.get("enable")
        if enable is not None and enable != "all" and (
                not isinstance(enable, list) or not all(isinstance(p, str) and p for p in enable)):
            raise RegistryFileError(f"provider {key!r}: enable must be 'all' or a list of id patterns")
    for model_id, spec in models.items():
        where = f"model {model_id!r}"
        if not isinstance(spec, dict):
            raise RegistryFileError(f"{where} must be a mapping")
        if spec.get("provider") not in providers and not _provider_in_db(spec.get("provider")):
            raise RegistryFileError(f"{where}: unknown provider {spec.get('provider')!r}")
        if spec.get("kind", "chat") not in KINDS:
            raise RegistryFileError(f"{where}: kind must be one of {', '.join(KINDS)}")
        for field in ("context_window", "max_output_tokens"):
            value = spec.get(field, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise RegistryFileError(f"{where}: {field} must be a positive whole number")
        for field in ("input_price", "cached_input_price", "output_price", "image_price"):
            if field in spec and spec[field] is not None:
                spec[field] = _price(spec[field], f"{where}: {field}")
        caps = spec.get("capabilities", [])
        if not isinstance(caps, list) or any(c not in CAPABILITIES for c in caps):
            raise RegistryFileError(f"{where}: capabilities must be a list drawn from {', '.join(CAPABILITIES)}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise RegistryFileError("'defaults' must be a mapping")
    return {"providers": providers, "models": models, "defaults": defaults}


def _price(value: object, where: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise RegistryFileError(f"{where} must be a number") from exc
    if price < 0 or not price.is_finite():
        raise RegistryFileError(f"{where} must be zero or more")
    return price


def _provider_in_db(key: object) -> bool:
    if not isinstance(key, str):
        return False
    return db.session.execute(sa.select(LlmProvider.id).where(LlmProvider.key == key)).first() is not None


def same(current: object, value: object) -> bool:
    """Whether a stored value already is ``value`` (prices compared as numbers)."""
    if isinstance(value, Decimal) and current is not None:
        return Decimal(current) == value
    return current == value


def _assign(row: object, values: dict) -> bool:
    changed = False
    for field, value in values.items():
        if not same(getattr(row, field), value):
            setattr(row, field, value)
            changed = True
    return changed


STATED = ("name", "kind", "context_window", "max_output_tokens", "input_price", "cached_input_price",
          "output_price", "image_price", "capabilities", "enabled")
NEW_MODEL = {"kind": "chat", "context_window": 8192, "max_output_tokens": 1024, "capabilities": [], "enabled": True}


def stated(spec: dict) -> dict:
    """The fields a model file entry states, with where they came from: the file wins over
    anything a provider's list or the price library says."""
    values = {field: spec[field] for field in STATED if field in spec}
    if "capabilities" in values:
        values["capabilities"] = list(values["capabilities"])
    if "enabled" in values:
        values["enabled"] = bool(values["enabled"])
    if "input_price" in values or "output_price" in values:
        values["price_source"] = "file"
    if "context_window" in values or "max_output_tokens" in values:
        values["limits_source"] = "file"
    return values


def seed(path: str | Path) -> SeedResult:
    """Upsert the file's providers and models; rows it does not name stay as they are, and a
    named row keeps what the file does not state (a provider's list may have said it).

    All or nothing: a bad file raises before anything is written.
    """
    data = load_file(path)
    result = SeedResult()
    providers = {p.key: p for p in db.session.execute(sa.select(LlmProvider)).scalars()}
    for key, spec in data["providers"].items():
        values = {"base_url": spec["base_url"], "api_key_env": spec.get("api_key_env"), "enable": spec.get("enable")}
        row = providers.get(key)
        if row is None:
            row = providers[key] = LlmProvider(key=key, **values)
            db.session.add(row)
            result.providers_added += 1
        elif _assign(row, values):
            result.providers_changed += 1
    db.session.flush()
    existing = {m.id: m for m in db.session.execute(sa.select(LlmModel)).scalars()}
    for model_id, spec in data["models"].items():
        values = {"provider_id": providers[spec["provider"]].id, **stated(spec)}
        row = existing.get(model_id)
        if row is None:
            db.session.add(LlmModel(id=model_id, **{"name": model_id, **NEW_MODEL, **values}))
            result.models_added += 1
        elif _assign(row, values):
            result.models_changed += 1
    return result


def defaults(path: str | Path) -> dict:
    """The file's ``defaults``, parsed once per version of the file (not per request)."""
    path = Path(path)
    try:
        version = path.stat().st_mtime_ns
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot read the file ({exc.strerror})") from exc
    return dict(_defaults_of(str(path), version))


@lru_cache(maxsize=8)
def _defaults_of(path: str, version: int) -> dict:
    return load_file(path)["defaults"]


def offered_models(kind: str = "chat") -> list[LlmModel]:
    """The models of ``kind`` a chat can use: switched on and still listed by their provider."""
    return list(
        db.session.execute(
            sa.select(LlmModel).where(LlmModel.offered_clause(), LlmModel.kind == kind).order_by(LlmModel.name)
        ).scalars()
    )
