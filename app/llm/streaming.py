"""Turning an ``openai`` SDK stream into typed events, closable from another thread."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import openai

from app.llm.errors import classify


@dataclass(frozen=True)
class ContentDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict | list | str:
        try:
            return json.loads(self.arguments or "{}")
        except json.JSONDecodeError:
            return self.arguments


@dataclass(frozen=True)
class ToolCalls:
    calls: tuple[ToolCallRequest, ...]


@dataclass(frozen=True)
class Finish:
    reason: str | None


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0


StreamEvent = ContentDelta | ReasoningDelta | ToolCalls | Finish | Usage


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def model_text(value: object) -> str:
    """Model text as Confab stores it: a string without NUL characters (PostgreSQL refuses them)."""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _extra(obj: object, name: str) -> object:
    """A field the SDK's types do not declare (``reasoning_content``, ``reasoning``)."""
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(name)
    return value


def _usage(usage: object) -> Usage:
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        cached_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
    )


class ChatStream:
    """One streaming chat completion.

    Iterate for events; :meth:`close` (from any thread) closes the HTTP
    response at once, so no more tokens are generated or paid for.
    """

    def __init__(self, client: openai.OpenAI, model: str, messages: list[dict], *,
                 tools: list[dict] | None = None, model_name: str | None = None) -> None:
        self._client = client
        self._model = model
        self._messages = messages
        self._tools = tools
        self._model_name = model_name or model
        self._sdk_stream: openai.Stream | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            stream = self._sdk_stream
        if stream is not None:
            stream.close()

    def _open(self) -> openai.Stream:
        options: dict = {"stream": True, "stream_options": {"include_usage": True}}
        if self._tools:
            options["tools"] = self._tools
        stream = self._client.chat.completions.create(model=self._model, messages=self._messages, **options)
        with self._lock:
            self._sdk_stream = stream
        if self._closed.is_set():
            stream.close()
        return stream

    def __iter__(self) -> Iterator[StreamEvent]:
        try:
            yield from self._events()
        except Exception as exc:
            if self._closed.is_set():
                return  # closed from another thread: whatever the read raised, the stream is over
            if isinstance(exc, openai.OpenAIError):
                raise classify(exc, self._model_name) from exc
            raise

    def _events(self) -> Iterator[StreamEvent]:
        stream = self._open()
        calls: dict[int, _PartialCall] = {}
        for chunk in stream:
            if self._closed.is_set():
                return
            if getattr(chunk, "usage", None):
                yield _usage(chunk.usage)
            for choice in chunk.choices or []:
                delta = choice.delta
                if delta is not None:
                    reasoning = model_text(_extra(delta, "reasoning_content") or _extra(delta, "reasoning"))
                    if reasoning:
                        yield ReasoningDelta(reasoning)
                    content = model_text(delta.content)
                    if content:
                        yield ContentDelta(content)
                    for call in delta.tool_calls or []:
                        partial = calls.setdefault(call.index or 0, _PartialCall())
                        if call.id:
                            partial.id = call.id
                        if call.function is not None:
                            if call.function.name:
                                partial.name += call.function.name
                            if call.function.arguments:
                                partial.arguments.append(model_text(call.function.arguments))
                if choice.finish_reason:
                    if calls:
                        yield ToolCalls(tuple(
                            ToolCallRequest(p.id, p.name, "".join(p.arguments)) for _, p in sorted(calls.items())
                        ))
                        calls = {}
                    yield Finish(choice.finish_reason)
