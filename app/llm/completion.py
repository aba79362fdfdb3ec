"""Short, non-streaming completions (chat titles)."""
from __future__ import annotations

import openai

from app.llm.clients import client_for
from app.llm.errors import classify
from app.llm.streaming import model_text
from app.models import LlmModel


def complete(model: LlmModel, messages: list[dict]) -> str:
    """The model's whole answer as text; :class:`~app.llm.errors.LlmError` on failure."""
    try:
        response = client_for(model.provider).chat.completions.create(model=model.remote_id, messages=messages)
    except openai.OpenAIError as exc:
        raise classify(exc, model.name) from exc
    choice = response.choices[0] if response.choices else None
    return model_text(choice.message.content) if choice and choice.message else ""
