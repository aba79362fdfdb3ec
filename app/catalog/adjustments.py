"""What administrators change by hand: models switched on and off (``flask models enable``,
the Admin page) and a model's price or limits set over what its sources say. An override
wins over the model file and the provider until it is cleared."""
from __future__ import annotations

import fnmatch
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from app.extensions import db
from app.models import LlmModel
from app.models.base import utcnow
from app.models.registry import OFFERED_KINDS

PRICE_FIELDS = ("input_price", "cached_input_price", "output_price")
LIMIT_FIELDS = ("context_window", "max_output_tokens")
MAX_PRICE = Decimal("1000000")  # USD per million tokens; the column holds 12 digits, 6 after the point


class AdjustmentError(ValueError):
    """A value an administrator typed that cannot be kept; the text says which and why."""


def switch(pattern: str, on: bool) -> int:
    """Switch the offerable models whose id matches ``pattern`` on (or off); how many changed."""
    ids = [model_id for model_id in db.session.execute(sa.select(LlmModel.id).where(
        LlmModel.kind.in_(OFFERED_KINDS), LlmModel.enabled.is_(not on))).scalars()
        if fnmatch.fnmatchcase(model_id, pattern)]
    if ids:
        db.session.execute(sa.update(LlmModel).where(LlmModel.id.in_(ids)).values(enabled=on, updated_at=utcnow())
                           .execution_options(synchronize_session=False))
    db.session.commit()
    return len(ids)


def overridden(overrides: dict | None) -> dict:
    """A model's overrides as column values, with their source."""
    values = {}
    for field, value in (overrides or {}).items():
        if field in PRICE_FIELDS:
            values[field] = Decimal(value)
            values["price_source"] = "admin"
        elif field in LIMIT_FIELDS:
            values[field] = int(value)
            values["limits_source"] = "admin"
    return values


def override(model: LlmModel, typed: dict[str, str]) -> list[str]:
    """Set the fields typed (a blank clears that field's override; the next refresh brings
    back its source's figure); the names of the fields now overridden."""
    overrides = dict(model.overrides or {})
    for field in (*PRICE_FIELDS, *LIMIT_FIELDS):
        if field not in typed:
            continue
        text = (typed[field] or "").strip()
        if not text:
            overrides.pop(field, None)
            continue
        overrides[field] = str(_price(field, text)) if field in PRICE_FIELDS else _count(field, text)
    for field, value in overridden(overrides).items():
        setattr(model, field, value)
    if model.max_output_tokens > model.context_window:
        raise AdjustmentError("The longest answer cannot be longer than the context window.")
    model.overrides = overrides or None
    return sorted(overrides)


def _price(field: str, text: str) -> Decimal:
    try:
        price = Decimal(text.lstrip("$"))
    except InvalidOperation as exc:
        raise AdjustmentError(f"{_label(field)} must be a number of dollars per million tokens.") from exc
    if not price.is_finite() or price < 0 or price >= MAX_PRICE:
        raise AdjustmentError(f"{_label(field)} must be zero or more, below $1,000,000 per million tokens.")
    return price.quantize(Decimal("0.000001"))


def _count(field: str, text: str) -> int:
    if not text.replace(",", "").isdigit() or not 0 < int(text.replace(",", "")) <= 100_000_000:
        raise AdjustmentError(f"{_label(field)} must be a whole number of tokens, from 1 to 100,000,000.")
    return int(text.replace(",", ""))


def _label(field: str) -> str:
    return {"input_price": "The input price", "cached_input_price": "The cached input price",
            "output_price": "The output price", "context_window": "The context window",
            "max_output_tokens": "The longest answer"}[field]
