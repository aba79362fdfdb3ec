"""Drawing a picture through the ``openai`` SDK's images API (SPEC §7)."""
from __future__ import annotations

import asyncio
import base64
import threading
from dataclasses import dataclass

import openai

from app.llm.errors import LlmError, classify


@dataclass
class Picture:
    data: bytes
    revised_prompt: str | None


async def draw(client: openai.AsyncOpenAI, model: str, prompt: str, cancelled: threading.Event,
               *, model_name: str) -> Picture | None:
    """One picture for ``prompt``; None when cancelled first (the request is abandoned, its
    connection closed). A refusal under the provider's content policy is an :class:`LlmError`
    that says so."""
    request = asyncio.ensure_future(client.images.generate(model=model, prompt=prompt, n=1))
    while not request.done():
        await asyncio.wait({request}, timeout=0.05)
        if cancelled.is_set() and not request.done():
            request.cancel()
            return None
    try:
        result = request.result()
    except openai.OpenAIError as exc:
        raise classify(exc, model_name) from exc
    item = result.data[0] if result.data else None
    if item is None:
        raise LlmError(f"{model_name} answered without a picture.")
    if item.b64_json:
        try:
            data = base64.b64decode(item.b64_json, validate=True)
        except ValueError:
            raise LlmError(f"{model_name} sent a picture Confab could not decode.") from None
    elif item.url:
        try:
            fetched = await client._client.get(item.url, timeout=60)  # the SDK's own HTTP client
            fetched.raise_for_status()
        except Exception as exc:
            raise LlmError(f"Could not fetch the picture {model_name} made: {exc}") from None
        data = fetched.content
    else:
        raise LlmError(f"{model_name} answered without a picture.")
    return Picture(data, getattr(item, "revised_prompt", None))
