"""Prices and context windows from the price library (pydantic's ``genai-prices``), for
providers whose model lists carry ids only (OpenAI, Anthropic, Gemini, Mistral…).

The library ships its data inside the package; Confab never asks it to update over the
network, so a refresh reads the prices of the installed version."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from genai_prices import data_snapshot
from genai_prices.types import TieredPrices


@dataclass(frozen=True)
class LibraryFacts:
    """What the library knows of a model: USD per million tokens, and its context window."""

    input_price: Decimal | None
    cached_input_price: Decimal | None
    output_price: Decimal | None
    context_window: int | None

    @property
    def priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None


def look_up(model_id: str, base_url: str) -> LibraryFacts | None:
    """The library's facts for ``model_id`` served at ``base_url``, or None if it does not know it.

    The provider is found from the URL (api.openai.com, api.anthropic.com, openrouter.ai…);
    at any other address (a local server, a proxy) from the model id alone."""
    snapshot = data_snapshot.get_snapshot()
    for provider_url in (base_url, None):
        try:
            _, model = snapshot.find_provider_model(model_id, None, None, provider_url)
        except LookupError:
            continue
        prices = model.get_prices(datetime.now(timezone.utc))
        return LibraryFacts(
            input_price=_per_million(getattr(prices, "input_mtok", None)),
            cached_input_price=_per_million(getattr(prices, "cache_read_mtok", None)),
            output_price=_per_million(getattr(prices, "output_mtok", None)),
            context_window=model.context_window if isinstance(model.context_window, int) else None,
        )
    return None


def _per_million(price: object) -> Decimal | None:
    """A library price (already per million tokens); a tiered price's first tier."""
    if isinstance(price, TieredPrices):
        price = price.base
    if isinstance(price, Decimal) and price.is_finite() and price >= 0:
        return price
    return None
