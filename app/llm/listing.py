"""A provider's own list of models (``GET /v1/models``), through the ``openai`` SDK.

Asked only by ``flask models refresh`` (and the admin's "Test connection"), never during a
page view: a slow provider must not hold up anyone's page."""
from __future__ import annotations

import openai

from app.llm.clients import api_key_for, base_url_for
from app.llm.errors import LlmError, provider_message
from app.models import LlmProvider


class ListingFailed(LlmError):
    """The provider did not hand over a list; ``message`` says why, in its own words where it gave any."""


def list_models(provider: LlmProvider, timeout: float) -> list[dict]:
    """Every entry of the provider's list as plain data, with whatever fields it carries
    (OpenRouter-style lists carry prices, limits and modalities; OpenAI's only ids)."""
    base_url = base_url_for(provider)
    client = openai.OpenAI(base_url=base_url, api_key=api_key_for(provider), max_retries=0, timeout=timeout)
    try:
        entries = [model.model_dump() for model in client.models.list().data]
    except openai.APIStatusError as exc:
        raise ListingFailed(f"{base_url} answered {exc.status_code}: {provider_message(exc) or 'no reason given'}",
                            status=exc.status_code) from exc
    except openai.APITimeoutError as exc:
        raise ListingFailed(f"{base_url} did not answer within {timeout:g} s.", retryable=True) from exc
    except openai.APIConnectionError as exc:
        raise ListingFailed(f"Could not connect to {base_url}.", retryable=True) from exc
    except (openai.OpenAIError, ValueError) as exc:
        raise ListingFailed(f"{base_url} did not answer with a list of models ({exc}).") from exc
    finally:
        client.close()
    if not entries:
        raise ListingFailed(f"{base_url} listed no models.")
    return entries
