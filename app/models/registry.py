"""The model registry: providers and the models they serve, seeded from YAML."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import ZERO, Price, TimestampMixin

KINDS = ("chat", "image")
CAPABILITIES = ("vision", "audio", "pdf", "tools", "streaming")
PER_MILLION = Decimal(1_000_000)


class LlmProvider(TimestampMixin, db.Model):
    __tablename__ = "llm_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    base_url: Mapped[str] = mapped_column(sa.String(500))
    api_key_env: Mapped[str | None] = mapped_column(sa.String(120))

    models: Mapped[list[LlmModel]] = relationship(back_populates="provider")


class LlmModel(TimestampMixin, db.Model):
    __tablename__ = "llm_models"

    id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("llm_providers.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(16), default="chat")
    context_window: Mapped[int] = mapped_column(default=8192)
    max_output_tokens: Mapped[int] = mapped_column(default=1024)
    input_price: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    cached_input_price: Mapped[Decimal | None] = mapped_column(Price)
    output_price: Mapped[Decimal] = mapped_column(Price, default=ZERO)
    image_price: Mapped[Decimal | None] = mapped_column(Price)  # USD per image (image models)
    capabilities: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)

    provider: Mapped[LlmProvider] = relationship(back_populates="models", lazy="joined")

    def has(self, capability: str) -> bool:
        return capability in (self.capabilities or [])

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> Decimal:
        """USD for one call at today's prices; cached input at its own price when set.

        ``input_tokens`` includes the cached ones, as providers report it.
        """
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
            "input_price": float(self.input_price),
            "cached_input_price": None if self.cached_input_price is None else float(self.cached_input_price),
            "output_price": float(self.output_price),
            "image_price": None if self.image_price is None else float(self.image_price),
            "capabilities": list(self.capabilities or []),
            "enabled": self.enabled,
        }
