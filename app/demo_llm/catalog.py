"""The demo LLM server's model lists, in the two shapes providers answer ``GET /v1/models``.

``/v1/models`` answers like OpenAI: ids only. Under ``/catalog/<spec>/v1/`` the server is
a provider steered by ``spec``, comma-separated words:

- ``openrouter``: OpenRouter's shape, with ``context_length``, ``top_provider``,
  ``pricing`` (USD per token, as strings), ``architecture`` modalities and
  ``supported_parameters``; otherwise the OpenAI shape;
- ``count=N``: N models (made-up ones after the fixed ones below), for the benchmark;
- ``drop=N``: leave out the first N models, as if the provider stopped offering them;
- ``status=401`` (or any status): answer with that error; ``slow=S``: wait S seconds first;
- ``keyhash=H``: answer only requests whose bearer key's SHA-256 starts with the hex H (else
  401), so a test can check the key Confab sends without writing the key into the URL.

Chat and image requests under the same prefix answer as the plain server does.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

IDS_ONLY = ("demo-chat", "demo-fast", "demo-image", "gpt-4o-mini", "gpt-4o", "text-embedding-3-small",
            "whisper-1", "dall-e-3", "unheard-of-model-1")

TEXT, VISION = ["text"], ["text", "image"]
TOOLS = ["tools", "tool_choice", "temperature", "max_tokens"]


def _entry(model_id: str, name: str, context: int, max_out: int | None, prompt: str | None, completion: str | None,
           *, inputs: list[str] = TEXT, outputs: list[str] = TEXT, params: list[str] = TOOLS,
           cache_read: str | None = None, image: str | None = None, reasoning: str | None = None) -> dict:
    pricing = None
    if prompt is not None:
        pricing = {"prompt": prompt, "completion": completion, "request": "0", "image": image or "0",
                   "web_search": "0", "internal_reasoning": reasoning or "0"}
        if cache_read is not None:
            pricing["input_cache_read"] = cache_read
    entry = {
        "id": model_id, "canonical_slug": model_id, "name": name, "created": 1_750_000_000,
        "description": f"{name}, as the demo provider lists it.", "context_length": context,
        "architecture": {"modality": f"{'+'.join(inputs)}->{'+'.join(outputs)}", "input_modalities": inputs,
                         "output_modalities": outputs, "tokenizer": "Other", "instruct_type": None},
        "top_provider": {"context_length": context, "max_completion_tokens": max_out, "is_moderated": False},
        "supported_parameters": params,
    }
    if pricing is not None:
        entry["pricing"] = pricing
    return entry


FIXED = (
    _entry("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", 128_000, 16_384, "0.00000015", "0.0000006",
           inputs=["text", "image", "file"], cache_read="0.000000075",
           params=[*TOOLS, "response_format", "structured_outputs"]),
    _entry("openai/gpt-4.1", "OpenAI: GPT-4.1", 1_047_576, 32_768, "0.000002", "0.000008",
           inputs=VISION, cache_read="0.0000005", params=[*TOOLS, "structured_outputs"]),
    _entry("anthropic/claude-sonnet-4", "Anthropic: Claude Sonnet 4", 200_000, 64_000, "0.000003", "0.000015",
           inputs=["text", "image", "file"], cache_read="0.0000003", params=[*TOOLS, "reasoning", "include_reasoning"]),
    _entry("anthropic/claude-3.5-haiku", "Anthropic: Claude 3.5 Haiku", 200_000, 8_192, "0.0000008", "0.000004",
           inputs=VISION, cache_read="0.00000008"),
    _entry("google/gemini-2.5-flash", "Google: Gemini 2.5 Flash", 1_048_576, 65_535, "0.0000003", "0.0000025",
           inputs=["text", "image", "file", "audio"], cache_read="0.000000075",
           params=[*TOOLS, "reasoning", "structured_outputs"]),
    _entry("google/gemini-2.5-flash-image", "Google: Gemini 2.5 Flash Image", 32_768, 8_192, "0.0000003",
           "0.0000025", inputs=VISION, outputs=["image", "text"], image="0.00003", params=["temperature"]),
    _entry("mistralai/magistral-medium-2506", "Mistral: Magistral Medium", 40_960, 40_000, "0.000002",
           "0.000005", params=[*TOOLS, "reasoning"], reasoning="0.000005"),
    _entry("mistralai/mistral-small-3.2-24b-instruct", "Mistral: Mistral Small 3.2", 131_072, None,
           "0.00000005", "0.0000001", inputs=VISION),
    _entry("meta-llama/llama-3.3-70b-instruct", "Meta: Llama 3.3 70B Instruct", 131_072, 16_384, "0.000000038",
           "0.00000012"),
    _entry("deepseek/deepseek-r1", "DeepSeek: R1", 163_840, None, "0.0000004", "0.000002",
           params=["reasoning", "include_reasoning", "temperature"]),
    _entry("perplexity/sonar", "Perplexity: Sonar", 127_072, None, "0.000001", "0.000001", params=["temperature"]),
    _entry("qwen/qwen3-coder:free", "Qwen: Qwen3 Coder (free)", 262_144, None, "0", "0"),
    _entry("openai/text-embedding-3-small", "OpenAI: Text Embedding 3 Small", 8_192, None, "0.00000002", "0",
           outputs=["embeddings"], params=[]),
    _entry("openai/gpt-4o-mini-tts", "OpenAI: GPT-4o mini TTS", 2_000, None, "0.0000006", "0.000012",
           outputs=["audio"], params=[]),
    _entry("openrouter/auto", "Auto Router", 2_000_000, None, "-1", "-1"),
    _entry("someone/unpriced-model", "Someone: Unpriced Model", 32_768, 4_096, None, None),
    _entry("demo-chat", "Demo chat (through the router)", 32_000, 4_096, "0.0000001", "0.0000004",
           inputs=VISION),
)


@dataclass(frozen=True)
class Spec:
    openrouter: bool = False
    count: int | None = None
    drop: int = 0
    status: int | None = None
    slow: float = 0.0
    keyhash: str | None = None


def parse(spec: str) -> Spec:
    """``spec`` as words; unknown words are ignored, bad numbers raise ``ValueError``."""
    found: dict = {}
    for word in spec.split(","):
        key, _, value = word.partition("=")
        if key == "openrouter":
            found["openrouter"] = True
        elif key in ("count", "drop", "status"):
            found[key] = int(value)
        elif key == "slow":
            found["slow"] = float(value)
        elif key == "keyhash":
            found["keyhash"] = value.lower()
    return Spec(**found)


def listing(spec: Spec) -> dict:
    """The body of ``GET /v1/models`` for ``spec``."""
    if not spec.openrouter:
        ids = IDS_ONLY[spec.drop:]
        return {"object": "list", "data": [{"id": i, "object": "model", "created": 1_700_000_000,
                                            "owned_by": "confab-demo"} for i in ids]}
    entries = list(FIXED)
    for number in range(len(entries), spec.count or 0):
        entries.append(_entry(f"made-up/model-{number:04d}", f"Made-up model {number}", 8_192 * (1 + number % 8),
                              4_096, f"0.000000{number % 90 + 10}", f"0.00000{number % 90 + 10}",
                              inputs=VISION if number % 3 == 0 else TEXT))
    if spec.count is not None:
        entries = entries[:spec.count]
    return {"data": entries[spec.drop:]}


def refuses(spec: Spec, authorization: str | None) -> bool:
    """Whether a request with this ``Authorization`` header lacks the key ``spec`` asks for."""
    if not spec.keyhash:
        return False
    bearer = (authorization or "").removeprefix("Bearer ")
    return not hashlib.sha256(bearer.encode()).hexdigest().startswith(spec.keyhash)


def offers(spec: Spec, model_id: str) -> bool:
    """Whether a chat or image request for ``model_id`` is served under ``spec``."""
    return any(entry["id"] == model_id for entry in listing(spec)["data"])
