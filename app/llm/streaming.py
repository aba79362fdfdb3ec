"""Turning a streamed chat completion into typed events, closable from another thread.

Streams are read with the SDK's async client on the worker process's event loop
(``app/engine/loop.py``): one thread then reads hundreds of streams, woken once for all
the sockets that have data, instead of hundreds of threads taking turns at the GIL.

The request goes through the ``openai`` SDK (its auth, error classes and connection),
but each chunk is read as the provider's plain JSON (``app/llm/sse.py``) instead of
being built into the SDK's pydantic types: that construction cost ~90 µs per chunk,
five times everything else on the worker's per-chunk path. Reading plain JSON also lets Confab take every
form providers stream: ``content`` as a string or as a list of typed parts, reasoning
in ``reasoning_content``, ``reasoning`` or in ``thinking`` parts (flat or nested), tool calls
split over many chunks, and usage in a chunk with no choices or in every chunk. A response's
usage is its last report, yielded once when the response ends: a provider that reports in
every chunk (Perplexity) reports the whole so far, so adding the reports up counted a 5-token
answer as 20.
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openai

from app.llm.errors import classify
from app.llm.sse import ChunkStream

CONTENT_PART_TYPES = frozenset({"text", "output_text", "refusal"})
REASONING_PART_TYPES = frozenset({"thinking", "reasoning", "reasoning_text", "summary_text"})


@dataclass(frozen=True, slots=True)
class ContentDelta:
    text: str


@dataclass(frozen=True, slots=True)
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
class ToolCallStarted:
    """A tool call whose name has just arrived (its arguments are still streaming)."""
    index: int
    id: str
    name: str


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
    cost: Decimal | None = None  # USD, when the provider states what the response cost


StreamEvent = ContentDelta | ReasoningDelta | ToolCallStarted | ToolCalls | Finish | Usage


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    announced: bool = False


def model_text(value: object) -> str:
    """Model text as Confab stores it: a string without NUL characters (PostgreSQL refuses them)."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "") if "\x00" in value else value


def _count(mapping: object, name: str) -> int:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    return value if isinstance(value, int) and value > 0 else 0


def _stated_cost(usage: dict) -> Decimal | None:
    """What the provider says the response cost, in USD: OpenRouter's ``usage.cost``, or
    Perplexity's ``usage.cost.total_cost`` (which includes its per-request fee)."""
    cost = usage.get("cost")
    if isinstance(cost, dict):
        cost = cost.get("total_cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float | str):
        return None
    try:
        amount = Decimal(str(cost))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _usage(usage: dict) -> Usage:
    return Usage(
        input_tokens=_count(usage, "prompt_tokens"),
        cached_tokens=_count(usage.get("prompt_tokens_details"), "cached_tokens"),
        output_tokens=_count(usage, "completion_tokens"),
        reasoning_tokens=_count(usage.get("completion_tokens_details"), "reasoning_tokens"),
        cost=_stated_cost(usage),
    )


def _part_text(part: dict, *keys: str) -> str:
    """The text under the first of ``keys`` the part has: a string, or a list of text parts
    (Mistral's ``{"type": "thinking", "thinking": [{"type": "text", "text": …}]}``)."""
    for key in keys:
        value = part.get(key)
        if isinstance(value, str):
            return model_text(value)
        if isinstance(value, list):
            return "".join(model_text(p) if isinstance(p, str) else _part_text(p, "text")
                           for p in value if isinstance(p, str | dict))
    return ""


def content_events(content: object) -> Iterator[ContentDelta | ReasoningDelta]:
    """The text of a delta's ``content``: a string, or a list of typed parts in order.

    Text parts are answer text; thinking and reasoning parts are reasoning; a part of
    an unknown type that carries ``text`` is kept as answer text rather than dropped.
    """
    if isinstance(content, str):
        if content:
            yield ContentDelta(model_text(content))
        return
    if not isinstance(content, list):
        return
    for part in content:
        if isinstance(part, str):
            text, reasoning = model_text(part), False
        elif isinstance(part, dict):
            kind = part.get("type")
            reasoning = kind in REASONING_PART_TYPES
            if reasoning:
                text = _part_text(part, "thinking", "reasoning", "text")
            else:
                text = _part_text(part, "text", "refusal")
        else:
            continue
        if text:
            yield ReasoningDelta(text) if reasoning else ContentDelta(text)


def delta_events(delta: dict) -> Iterator[ContentDelta | ReasoningDelta]:
    """Reasoning fields first, then content, then a refusal (shown as answer text)."""
    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        yield ReasoningDelta(model_text(reasoning))
    content = delta.get("content")
    if content:
        yield from content_events(content)
    refusal = delta.get("refusal")
    if isinstance(refusal, str) and refusal:
        yield ContentDelta(model_text(refusal))


class ChatStream:
    """One streaming chat completion, read on an asyncio event loop.

    ``async for`` it for events; :meth:`close` (from any thread) closes the HTTP
    response at once, so no more tokens are generated or paid for.
    """

    def __init__(self, client: openai.AsyncOpenAI, model: str, messages: list[dict], *,
                 tools: list[dict] | None = None, model_name: str | None = None) -> None:
        self._client = client
        self._model = model
        self._messages = messages
        self._tools = tools
        self._model_name = model_name or model
        self._sdk_stream: openai.AsyncStream | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()
        loop, stream = self._loop, self._sdk_stream
        if loop is not None and stream is not None and not loop.is_closed():
            loop.call_soon_threadsafe(_close_soon, stream)

    async def _open(self) -> openai.AsyncStream:
        self._loop = asyncio.get_running_loop()
        body: dict = {"model": self._model, "messages": self._messages, "stream": True,
                      "stream_options": {"include_usage": True}}
        if self._tools:
            body["tools"] = self._tools
        stream = await self._client.post("/chat/completions", body=body, cast_to=object,
                                         stream=True, stream_cls=ChunkStream)
        self._sdk_stream = stream
        if self._closed.is_set():
            await stream.close()
        return stream

    async def __aiter__(self) -> AsyncIterator[StreamEvent]:
        """The events, read in this one generator (each layer of generators costs every chunk)."""
        try:
            stream = await self._open()
            calls: dict[int, _PartialCall] = {}
            closed = self._closed
            last_usage: Usage | None = None
            async for chunk in stream:
                if closed.is_set():
                    return
                if not isinstance(chunk, dict):
                    continue
                usage = chunk.get("usage")
                if isinstance(usage, dict):  # the response's whole so far: the last one counts
                    last_usage = _usage(usage)
                for choice in chunk.get("choices") or ():
                    if not isinstance(choice, dict):
                        continue
                    delta = choice.get("delta")
                    if isinstance(delta, dict):
                        for event in delta_events(delta):
                            yield event
                        if delta.get("tool_calls"):
                            _collect_tool_calls(calls, delta["tool_calls"])
                            for index, partial in sorted(calls.items()):
                                if partial.name and not partial.announced:
                                    partial.announced = True
                                    yield ToolCallStarted(index, partial.id or f"call_{index}", partial.name)
                    finish = choice.get("finish_reason")
                    if finish:
                        if calls:
                            yield ToolCalls(tuple(
                                ToolCallRequest(p.id or f"call_{i}", p.name, "".join(p.arguments))
                                for i, p in sorted(calls.items())
                            ))
                            calls = {}
                        yield Finish(str(finish))
            if last_usage is not None:
                yield last_usage
        except Exception as exc:
            if self._closed.is_set():
                return  # closed from another thread: whatever the read raised, the stream is over
            if isinstance(exc, openai.OpenAIError):
                raise classify(exc, self._model_name) from exc
            raise
        finally:
            if self._sdk_stream is not None:
                await self._sdk_stream.close()


def _close_soon(stream: openai.AsyncStream) -> None:
    """On the stream's loop: close its response (a read waiting on it ends at once)."""
    asyncio.ensure_future(stream.close())


def _collect_tool_calls(calls: dict[int, _PartialCall], fragments: object) -> None:
    """Assemble tool calls whose id, name and arguments arrive in pieces, keyed by index."""
    if not isinstance(fragments, list):
        return
    for fragment in fragments:
        if not isinstance(fragment, dict):
            continue
        index = fragment.get("index")
        partial = calls.setdefault(index if isinstance(index, int) else 0, _PartialCall())
        if isinstance(fragment.get("id"), str) and fragment["id"]:
            partial.id = fragment["id"]
        function = fragment.get("function")
        if isinstance(function, dict):
            if isinstance(function.get("name"), str):
                partial.name += function["name"]
            if isinstance(function.get("arguments"), str):
                partial.arguments.append(model_text(function["arguments"]))
