"""Seeding and reading the model registry (SPEC §3, §8 model config YAML)."""
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


def _assign(row: object, values: dict) -> bool:
    changed = False
    for field, value in values.items():
        current = getattr(row, field)
        if isinstance(value, Decimal) and current is not None:
            same = Decimal(current) == value
        else:
            same = current == value
        if not same:
            setattr(row, field, value)
            changed = True
    return changed


def seed(path: str | Path) -> SeedResult:
    """Upsert the file's providers and models; rows it does not name stay as they are.

    All or nothing: a bad file raises before anything is written.
    """
    data = load_file(path)
    result = SeedResult()
    providers = {p.key: p for p in db.session.execute(sa.select(LlmProvider)).scalars()}
    for key, spec in data["providers"].items():
        values = {"base_url": spec["base_url"], "api_key_env": spec.get("api_key_env")}
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
        values = {
            "provider_id": providers[spec["provider"]].id,
            "name": spec.get("name") or model_id,
            "kind": spec.get("kind", "chat"),
            "context_window": spec.get("context_window", 8192),
            "max_output_tokens": spec.get("max_output_tokens", 1024),
            "input_price": spec.get("input_price") or Decimal(0),
            "cached_input_price": spec.get("cached_input_price"),
            "output_price": spec.get("output_price") or Decimal(0),
            "image_price": spec.get("image_price"),
            "capabilities": list(spec.get("capabilities", [])),
            "enabled": bool(spec.get("enabled", True)),
        }
        row = existing.get(model_id)
        if row is None:
            db.session.add(LlmModel(id=model_id, **values))
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


def enabled_models(kind: str = "chat") -> list[LlmModel]:
    return list(
        db.session.execute(
            sa.select(LlmModel).where(LlmModel.enabled.is_(True), LlmModel.kind == kind).order_by(LlmModel.name)
        ).scalars()
    )
