"""One ``openai`` SDK client per provider, created once per process and reused.

They are kept on the app, like the stream loop they run on (``app/engine/``): an async
client's connections belong to the event loop that first used them."""
from __future__ import annotations

import re
import threading

import openai
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.llm.errors import MissingApiKey
from app.models import LlmModel, LlmProvider
from app.platform import secret_files

_lock = threading.Lock()
NO_KEY = "not-needed"
ENV_REFERENCE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def base_url_for(provider: LlmProvider) -> str:
    """The provider's URL with ``${VAR:-default}`` references filled from the environment."""
    env = current_app.config["PROVIDER_ENV"]
    return ENV_REFERENCE.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), provider.base_url)


def api_key_for(provider: LlmProvider) -> str:
    """The provider's key: entered in the browser (stored encrypted), or from the variable the
    registry names; a clear error when unset."""
    if provider.api_key_encrypted:
        try:
            return secret_files.decrypt(provider.api_key_encrypted)
        except secret_files.SecretUnreadable as exc:
            raise MissingApiKey(f"The API key for provider '{provider.label}' cannot be read. {exc}") from exc
    if not provider.api_key_env:
        return NO_KEY
    key = current_app.config["PROVIDER_ENV"].get(provider.api_key_env)
    if not key:
        raise MissingApiKey(
            f"The API key for provider '{provider.key}' is not configured: set the "
            f"environment variable {provider.api_key_env}."
        )
    return key


def client_for(provider: LlmProvider) -> openai.OpenAI:
    """The shared client for ``provider``. Confab decides about retries itself (SDK retries off)."""
    return _client(provider, asynchronous=False)


def async_client_for(provider: LlmProvider) -> openai.AsyncOpenAI:
    """The shared async client for ``provider``, used on a worker's stream loop (``app/engine/loop.py``).

    It sends its requests through aiohttp, the SDK's own alternative transport
    (``openai[aiohttp]``): its C HTTP parser reads a streamed chunk for a fraction of what
    the default pure-Python stack costs, which matters with hundreds of streams a process."""
    return _client(provider, asynchronous=True)


def _client(provider: LlmProvider, *, asynchronous: bool) -> openai.OpenAI | openai.AsyncOpenAI:
    key = api_key_for(provider)
    base_url = base_url_for(provider)
    cache_key = (provider.key, base_url, key, asynchronous)
    with _lock:
        clients = current_app.extensions.setdefault("confab.llm_clients", {})
        client = clients.get(cache_key)
        if client is None:
            timeout = current_app.config["LLM_TIMEOUT_SECONDS"]
            if asynchronous:
                client = openai.AsyncOpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=timeout,
                                            http_client=openai.DefaultAioHttpClient(timeout=timeout))
            else:
                client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=timeout)
            clients[cache_key] = client
        return client


def warm_clients() -> int:
    """Create the clients of every provider with an offered model, so worker processes
    forked later start with them (and the SDK) ready. Providers without keys are skipped."""
    providers = db.session.execute(
        sa.select(LlmProvider).where(LlmProvider.id.in_(sa.select(LlmModel.provider_id).where(LlmModel.offered_clause())))
    ).scalars().all()
    warmed = 0
    for provider in providers:
        try:
            client_for(provider).chat.completions  # noqa: B018  (loads the SDK's lazy resources)
            async_client_for(provider).chat.completions  # noqa: B018
            warmed += 1
        except MissingApiKey:
            continue
    db.session.remove()
    _build_sdk_models()
    return warmed


def _build_sdk_models() -> None:
    """The SDK builds its pydantic models on first use; build the one title requests use now.
    (Streamed chunks are read as plain JSON: see :mod:`app.llm.streaming`.)"""
    from openai.types.chat import ChatCompletion

    ChatCompletion.model_validate({
        "id": "warm", "object": "chat.completion", "created": 0, "model": "warm",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}],
    })
