"""Reading one entry of a provider's model list into the registry's terms.

OpenRouter-style entries carry limits, per-token prices, modalities and parameters; an
OpenAI-style entry only an id, and then the kind is read from the id's well-known words."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from app.models.registry import PER_MILLION

MAX_ID = 200
# What an id-only entry's id says about its kind, for the ids OpenAI-compatible providers use.
ID_WORDS = {
    "embedding": ("embedding", "embed"),
    "audio": ("whisper", "tts", "transcribe", "audio"),
    "image": ("dall-e", "gpt-image", "imagen", "stable-diffusion", "flux"),
}
PARAMETER_CAPABILITIES = {
    "tools": "tools",
    "reasoning": "reasoning",
    "include_reasoning": "reasoning",
    "structured_outputs": "structured_output",
}
INPUT_CAPABILITIES = {"image": "vision", "audio": "audio", "file": "pdf"}


@dataclass
class Listed:
    """A model as its provider lists it; None where the list says nothing."""

    api_id: str
    name: str
    kind: str = "chat"
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_price: Decimal | None = None
    cached_input_price: Decimal | None = None
    output_price: Decimal | None = None
    capabilities: list[str] = field(default_factory=list)
    described: bool = False  # the entry carried more than an id

    @property
    def priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None


def read(entry: object) -> Listed | None:
    """The entry as a :class:`Listed`, or None when it has no usable id."""
    if not isinstance(entry, dict):
        return None
    api_id = entry.get("id")
    if not isinstance(api_id, str) or not api_id.strip() or len(api_id) > MAX_ID:
        return None
    name = entry.get("name") if isinstance(entry.get("name"), str) and entry["name"].strip() else api_id
    architecture = entry.get("architecture") if isinstance(entry.get("architecture"), dict) else {}
    inputs, outputs = _words(architecture.get("input_modalities")), _words(architecture.get("output_modalities"))
    parameters = _words(entry.get("supported_parameters"))
    pricing = entry.get("pricing") if isinstance(entry.get("pricing"), dict) else {}
    top = entry.get("top_provider") if isinstance(entry.get("top_provider"), dict) else {}
    kind = _kind(api_id, outputs)
    listed = Listed(
        api_id=api_id, name=name[:120], kind=kind,
        context_window=_count(entry.get("context_length")) or _count(top.get("context_length")),
        max_output_tokens=_count(top.get("max_completion_tokens")),
        described=bool(architecture or pricing or "context_length" in entry),
    )
    input_price, output_price = _per_million(pricing.get("prompt")), _per_million(pricing.get("completion"))
    if input_price is not None and output_price is not None:
        listed.input_price, listed.output_price = input_price, output_price
        listed.cached_input_price = _per_million(pricing.get("input_cache_read"))
    caps = {INPUT_CAPABILITIES[word] for word in inputs if word in INPUT_CAPABILITIES}
    caps |= {PARAMETER_CAPABILITIES[word] for word in parameters if word in PARAMETER_CAPABILITIES}
    if kind == "chat":
        caps.add("streaming")
    listed.capabilities = sorted(caps)
    return listed


def _kind(api_id: str, outputs: set[str]) -> str:
    if outputs:
        if "image" in outputs:
            return "image"
        if "text" in outputs:
            return "chat"
        if "embeddings" in outputs or "embedding" in outputs:
            return "embedding"
        return "audio" if "audio" in outputs else "chat"
    lowered = api_id.lower()
    for kind, words in ID_WORDS.items():
        if any(word in lowered for word in words):
            return kind
    return "chat"


def _words(value: object) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _decimal(value: object) -> Decimal | None:
    """A price as the list writes it (a string, sometimes a number), exactly; None if it is no price."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _per_million(per_token: object) -> Decimal | None:
    """USD per token → USD per million tokens (``"0.00000015"`` → 0.15). A negative price
    (OpenRouter's "-1" for a router whose price varies) is no price."""
    number = _decimal(per_token)
    return None if number is None else number * PER_MILLION
