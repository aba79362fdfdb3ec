"""The model registry: providers and the models they serve, from the model file and
from each provider's own list (``app/catalog/``)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Price, TimestampMixin

KINDS = ("chat", "image", "embedding", "audio")
OFFERED_KINDS = ("chat", "image")  # embedding and audio models are kept, never offered in a chat
CAPABILITIES = ("vision", "audio", "pdf", "tools", "streaming", "reasoning", "structured_output")
SOURCES = ("admin", "file", "provider", "library")  # where a model's price or limits came from
PER_MILLION = Decimal(1_000_000)


class LlmProvider(TimestampMixin, db.Model):
    __tablename__ = "llm_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    base_url: Mapped[str] = mapped_column(sa.String(500))
    api_key_env: Mapped[str | None] = mapped_column(sa.String(120))
    name: Mapped[str | None] = mapped_column(sa.String(120))  # as an administrator named it
    # A key entered in the browser, encrypted at rest (app/catalog/secrets.py); never shown again.
    api_key_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    added_by_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    removed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))  # kept for old chats' models
    # The model file's `enable`: "all", a list of id patterns, or None (new models arrive off).
    enable: Mapped[str | list[str] | None] = mapped_column(sa.JSON)
    refreshed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    refresh_error: Mapped[str | None] = mapped_column(sa.String(500))

    models: Mapped[list[LlmModel]] = relationship(back_populates="provider")

    @property
    def label(self) -> str:
        return self.name or self.key


class LlmModel(TimestampMixin, db.Model):
    __tablename__ = "llm_models"

    id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    api_id: Mapped[str | None] = mapped_column(sa.String(200))  # the provider's id, when not ``id``
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("llm_providers.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16), default="chat")
    context_window: Mapped[int] = mapped_column(default=8192)
    max_output_tokens: Mapped[int] = mapped_column(default=1024)
    # USD per million tokens; None: nobody stated a price, and its replies cost None, not $0.
    input_price: Mapped[Decimal | None] = mapped_column(Price)
    cached_input_price: Mapped[Decimal | None] = mapped_column(Price)
    output_price: Mapped[Decimal | None] = mapped_column(Price)
    image_price: Mapped[Decimal | None] = mapped_column(Price)  # USD per image (image models)
    capabilities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    available: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # still in the provider's list
    price_source: Mapped[str | None] = mapped_column(sa.String(16))
    limits_source: Mapped[str | None] = mapped_column(sa.String(16))
    refreshed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # What an administrator set on the Admin page (prices, limits): wins over the file and the provider.
    overrides: Mapped[dict | None] = mapped_column(sa.JSON)

    provider: Mapped[LlmProvider] = relationship(back_populates="models", lazy="joined")

    @property
    def remote_id(self) -> str:
        """The id the provider knows the model by."""
        return self.api_id or self.id

    @property
    def offered(self) -> bool:
        """Switched on and still listed by its provider."""
        return self.enabled and self.available

    @classmethod
    def offered_clause(cls):
        return sa.and_(cls.enabled.is_(True), cls.available.is_(True))

    @property
    def priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None

    def has(self, capability: str) -> bool:
        return capability in (self.capabilities or [])

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal | None:
        """USD for one call at today's prices; cached input at its own price when set;
        None when the model has no price (never a silent $0).

        ``input_tokens`` includes the cached ones, as providers report it.
        """
        if not self.priced:
            return None
        cached = min(max(cached_tokens, 0), max(input_tokens, 0))
        cached_price = self.cached_input_price if self.cached_input_price is not None else self.input_price
        total = (
            Decimal(input_tokens - cached) * Decimal(self.input_price)
            + Decimal(cached) * Decimal(cached_price)
            + Decimal(output_tokens) * Decimal(self.output_price)
        )
        return (total / PER_MILLION).quantize(Decimal("0.00000001"))

    def to_public(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "provider": self.provider.key,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "input_price": _number(self.input_price),
            "cached_input_price": _number(self.cached_input_price),
            "output_price": _number(self.output_price),
            "image_price": _number(self.image_price),
            "price_source": self.price_source,
            "capabilities": list(self.capabilities or []),
            "enabled": self.enabled,
            "available": self.available,
        }


def _number(price: Decimal | None) -> float | None:
    return None if price is None else float(price)
