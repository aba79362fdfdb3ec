"""Sorting provider failures into what to retry and what to tell the user."""
from __future__ import annotations

from dataclasses import dataclass

import openai


@dataclass
class LlmError(Exception):
    """A model call that failed; ``message`` is written for the person in the chat."""

    message: str
    retryable: bool = False
    status: int | None = None

    def __str__(self) -> str:
        return self.message


class MissingApiKey(LlmError):
    """The provider's key variable is not set."""


def provider_message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or exc.message or "")[:300]


def _code(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body) if isinstance(body, dict) else {}
    return str(error.get("code") or "") if isinstance(error, dict) else ""


def _connection_failed(exc: BaseException) -> bool:
    """Whether a socket error, not a timeout, is behind ``exc`` (the SDK's aiohttp transport
    reports a refused connection as a connect timeout)."""
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return True
        cause = cause.__cause__
    return False


def classify(exc: BaseException, model_name: str = "the model") -> LlmError:
    """Map an SDK exception to an :class:`LlmError` a person understands."""
    if isinstance(exc, LlmError):
        return exc
    if isinstance(exc, openai.APITimeoutError) and not _connection_failed(exc):
        return LlmError(f"{model_name} took too long to answer.", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return LlmError(f"Could not reach the provider of {model_name}, or the connection dropped.", retryable=True)
    if isinstance(exc, openai.RateLimitError):
        return LlmError(f"The provider of {model_name} is rate-limiting requests. Try again in a moment.",
                        retryable=True, status=429)
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return LlmError(f"The provider rejected Confab's credentials for {model_name}. "
                        "An administrator needs to check the API key.", status=exc.status_code)
    if isinstance(exc, openai.NotFoundError):
        return LlmError(f"{model_name} is not available at its provider (unknown model).", status=404)
    if isinstance(exc, openai.BadRequestError):
        detail = provider_message(exc)
        if "content_policy" in _code(exc) or "safety system" in detail.lower():
            return LlmError(f"{model_name} refused this under its provider's content policy: {detail or 'refused'} "
                            "Rephrase the request and try again.", status=400)
        if "context" in _code(exc) or "context length" in detail.lower() or "too long" in detail.lower():
            return LlmError(f"This conversation is too long for {model_name}. Start a new chat or switch to a "
                            "model with a larger context window.", status=400)
        return LlmError(f"The provider refused the request: {detail or 'bad request'}", status=400)
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return LlmError(f"The provider of {model_name} had an error ({exc.status_code}).",
                            retryable=True, status=exc.status_code)
        return LlmError(f"The provider refused the request ({exc.status_code}): {provider_message(exc)}",
                        status=exc.status_code)
    if isinstance(exc, openai.OpenAIError):
        return LlmError(f"{model_name} failed: {exc}")
    raise exc
