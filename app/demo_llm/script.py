"""What the demo model says: deterministic answers steered by ``[[directives]]`` in the prompt.

Directives (anywhere in the last user message):

- ``[[status:429]]`` answer with that HTTP status (429, 400, 401, 403, 404, 500, 503);
  ``[[status:429x2]]`` only the first two times this prompt is seen, then answer.
- ``[[drop:5]]`` drop the connection after 5 content chunks.
- ``[[fail:5]]`` after 5 content chunks, send an error event in the stream and end it, as
  providers report a failure that happens mid-answer.
- ``[[slow:200]]`` wait 200 ms before each chunk.
- ``[[chunks:50]]`` stream the answer in about 50 content chunks.
- ``[[reason]]`` stream reasoning first (``reasoning_content``); ``[[reason:reasoning]]``
  uses the ``reasoning`` field instead.
- ``[[tool:calculator {"expression": "6*7"}]]`` call a tool (when tools are offered); several
  such directives: parallel calls in one response. Arguments that are not JSON, or a name
  that is no tool, are sent as written. Once sent the results it answers in text, unless
  ``[[toolloop]]`` makes it call the tools again every time. ``[[preamble:I'll check]]``
  streams those words before the calls, as models often do.
- ``[[cached:100]]`` report 100 cached prompt tokens.
- ``[[refuse]]`` an image request is refused by the content policy.
- ``[[tag:abc]]`` name this request, so tests can ask the server what became of it.
- ``[[nul]]`` put NUL characters into the answer, as a misbehaving provider might.
- ``[[parts]]`` stream content as lists of typed parts (``thinking`` parts for the
  reasoning, then ``text`` parts), as some providers do; with ``[[reason]]`` the
  reasoning comes as thinking parts. ``[[parts:nested]]``: each thinking part holds a list
  of text parts, ``{"type": "thinking", "thinking": [{"type": "text", "text": …}]}``, as
  Mistral's reasoning models stream it.
- ``[[cost:openrouter]]`` the usage states the response's cost, ``"cost": 0.0000123`` (USD,
  :func:`stated_cost`), as OpenRouter does; ``[[cost:perplexity]]`` as Perplexity does,
  ``"cost": {…, "request_cost": 0.005, "total_cost": …}``.
- ``[[usage:every]]`` (when usage is asked for) put the usage so far in every chunk, each
  report counting everything before it, as Perplexity does; the last is the whole.
- ``[[quirks]]`` add what real streams sometimes carry: a keep-alive comment, a chunk
  whose ``delta`` is null, sent with CRLF line ends and split over two packets, a
  ``data`` line that is not JSON and an unknown field on every chunk.
- ``[[history]]`` end the answer with every user message it was sent, so tests can see
  which path of a branched conversation reached the model.
- ``[[stamp]]`` each content chunk is its own send time as a word, ``1700000000.123456 ``
  (:func:`stamp`), so a benchmark can measure relay latency end to end.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

DIRECTIVE = re.compile(r"\[\[(\w+)(?::([^\]]*))?\]\]")
TOOL_DIRECTIVE = re.compile(r"\[\[tool:([\w-]+)\s*(\{.*?\})?\]\]", re.S)


@dataclass
class Plan:
    """How to answer one request."""

    status: int | None = None
    status_times: int | None = None
    drop_after: int | None = None
    fail_after: int | None = None
    slow_ms: int = 0
    chunks: int | None = None
    reasoning_field: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    cached_tokens: int = 0
    refuse: bool = False
    stamp: bool = False
    nul: bool = False
    parts: bool = False
    nested_thinking: bool = False
    usage_every_chunk: bool = False
    stated_cost: str = ""  # "openrouter" or "perplexity": the usage says what the response cost
    quirks: bool = False
    history: bool = False
    tool_loop: bool = False
    preamble: str = ""  # text before the tool calls of a response that makes them
    tag: str = ""


def text_of(content: object) -> str:
    """The text of a message ``content`` (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


TOOL_PICTURES = "The pictures the tools returned"  # how Confab hands a vision model tools' pictures


def tool_pictures(message: object) -> int:
    """How many pictures ``message`` carries if it is Confab's turn of tools' pictures, else 0."""
    content = message.get("content") if isinstance(message, dict) and message.get("role") == "user" else None
    if not isinstance(content, list) or not content or not str(content[0].get("text", "")).startswith(TOOL_PICTURES):
        return 0
    return sum(1 for part in content if isinstance(part, dict) and part.get("type") == "image_url")


def last_user_text(messages: list[dict]) -> str:
    """The newest question's text (a turn of tools' pictures is not a question)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user" and not tool_pictures(message):
            return user_text(message.get("content"))
    return ""


def answering_tools(messages: list[dict]) -> bool:
    """Whether the request ends with tool results (and perhaps their pictures) to answer."""
    for message in reversed(messages):
        if not isinstance(message, dict) or tool_pictures(message):
            continue
        return message.get("role") == "tool"
    return False


def plan_for(prompt: str) -> Plan:
    plan = Plan(tag=hashlib.sha1(prompt.encode()).hexdigest()[:12])
    for name, value in DIRECTIVE.findall(prompt):
        value = (value or "").strip()
        if name == "status":
            code, _, times = value.partition("x")
            plan.status = int(code) if code.isdigit() else 500
            plan.status_times = int(times) if times.isdigit() else None
        elif name == "drop" and value.isdigit():
            plan.drop_after = int(value)
        elif name == "fail" and value.isdigit():
            plan.fail_after = int(value)
        elif name == "slow" and value.isdigit():
            plan.slow_ms = int(value)
        elif name == "chunks" and value.isdigit():
            plan.chunks = max(1, int(value))
        elif name == "reason":
            plan.reasoning_field = "reasoning" if value == "reasoning" else "reasoning_content"
        elif name == "cached" and value.isdigit():
            plan.cached_tokens = int(value)
        elif name == "refuse":
            plan.refuse = True
        elif name == "stamp":
            plan.stamp = True
        elif name == "nul":
            plan.nul = True
        elif name == "parts":
            plan.parts = True
            plan.nested_thinking = value == "nested"
        elif name == "usage" and value == "every":
            plan.usage_every_chunk = True
        elif name == "cost" and value in ("openrouter", "perplexity"):
            plan.stated_cost = value
        elif name == "quirks":
            plan.quirks = True
        elif name == "history":
            plan.history = True
        elif name == "toolloop":
            plan.tool_loop = True
        elif name == "tag" and value:
            plan.tag = value
        elif name == "preamble" and value:
            plan.preamble = value
    for name, args in TOOL_DIRECTIVE.findall(prompt):
        plan.tool_calls.append((name, args or "{}"))
    return plan


PERPLEXITY_REQUEST_FEE = 0.005


def stated_cost(plan: Plan, prompt_tokens: int, completion_tokens: int) -> float | dict | None:
    """The cost a provider states in its usage, in its own shape (USD; not the catalog's price,
    so a test can tell which one was stored)."""
    if not plan.stated_cost:
        return None
    tokens = round(prompt_tokens * 0.0000011 + completion_tokens * 0.0000033, 8)
    if plan.stated_cost == "openrouter":
        return tokens
    return {"input_tokens_cost": round(prompt_tokens * 0.0000011, 8),
            "output_tokens_cost": round(completion_tokens * 0.0000033, 8),
            "request_cost": PERPLEXITY_REQUEST_FEE, "total_cost": round(tokens + PERPLEXITY_REQUEST_FEE, 8)}


def count_tokens(text: str) -> int:
    """A rough, deterministic token count: about four characters a token."""
    return max(1, (len(text) + 3) // 4) if text else 0


def prompt_tokens(messages: list[dict]) -> int:
    total = 0
    for message in messages:
        if isinstance(message, dict):
            total += 4 + count_tokens(text_of(message.get("content")) or json.dumps(message.get("content") or ""))
    return total


FILE_TEXT = re.compile(r"^\[[^\[\]\n]+(\]\n|: )")  # how Confab labels a file sent as text


def _data_bytes(data_url_or_b64: str) -> int:
    encoded = data_url_or_b64.split(",", 1)[1] if data_url_or_b64.startswith("data:") else data_url_or_b64
    return len(encoded) * 3 // 4 - encoded[-2:].count("=")


def _describe(part: dict) -> str | None:
    kind = part.get("type")
    if kind == "image_url":
        url = (part.get("image_url") or {}).get("url", "")
        return f"image ({url[5:].split(';', 1)[0]}, {_data_bytes(url):,} bytes)"
    if kind == "input_audio":
        audio = part.get("input_audio") or {}
        return f"audio ({audio.get('format')}, {_data_bytes(audio.get('data', '')):,} bytes)"
    if kind == "file":
        file = part.get("file") or {}
        return f"file “{file.get('filename')}” ({_data_bytes(file.get('file_data', '')):,} bytes)"
    if kind == "text" and FILE_TEXT.match(part.get("text", "")):
        label, _, body = part["text"].partition("\n")
        first = body.strip().splitlines()[0][:80] if body.strip() else ""
        return f"text {label}" + (f", first line “{first}”" if first else "")
    return None


def user_text(content: object) -> str:
    """What the user typed: the text parts that are not files sent as text."""
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and p.get("type") == "text" and not FILE_TEXT.match(p.get("text", "")))
    return text_of(content)


def attachment_note(messages: list[dict]) -> str:
    """Acknowledge every part of the last user message that is a file: how many, what kind,
    how many bytes, and the first line of each file sent as text."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            parts = message.get("content")
            if not isinstance(parts, list):
                return ""
            described = [d for d in (_describe(p) for p in parts if isinstance(p, dict)) if d]
            if not described:
                return ""
            listing = "; ".join(f"{n}. {d}" for n, d in enumerate(described, 1))
            return f"\n\nI received {len(described)} attachment{'s' if len(described) > 1 else ''}: {listing}."
    return ""


def answer_text(messages: list[dict], plan: Plan) -> str:
    """The deterministic Markdown answer: it quotes the last user message."""
    prompt = DIRECTIVE.sub("", last_user_text(messages)).strip()
    tool_results = [m for m in messages if isinstance(m, dict) and m.get("role") == "tool"]
    quoted = "\n".join(f"> {line}" for line in prompt.splitlines()) or "> (nothing)"
    body = f"You said:\n\n{quoted}{attachment_note(messages)}"
    if tool_results:
        results = ", ".join(str(m.get("content")) for m in tool_results[-3:])
        body += f"\n\nThe tool answered: {results}."
    if plan.history:
        asked = [DIRECTIVE.sub("", text_of(m.get("content"))).strip() for m in messages
                 if isinstance(m, dict) and m.get("role") == "user"]
        body += "\n\nI was sent: " + " | ".join(asked) + "."
    if plan.nul:
        body = body.replace(" ", "\x00 ")
    if plan.chunks and plan.chunks > 8:
        filler = " ".join(f"word{i}" for i in range(plan.chunks * 2))
        body += f"\n\n{filler}"
    return body


STAMPS = re.compile(r"(\d{10}\.\d{6}) ")


def stamp(sent_at: float) -> str:
    """A ``[[stamp]]`` chunk: its send time as a word of prose, found again by :data:`STAMPS`.

    A word, so that a reply of them renders as a paragraph does: stamps in angle brackets
    made the Markdown parser try every one as inline HTML, ~13 times the cost of prose."""
    return f"{sent_at:.6f} "


def split_chunks(text: str, wanted: int | None) -> list[str]:
    """Split ``text`` into ``wanted`` pieces (default: about one per word)."""
    if not text:
        return []
    if not wanted:
        pieces = re.findall(r"\S+\s*|\s+", text)
        return pieces or [text]
    count = min(wanted, len(text))
    size, longer = divmod(len(text), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < longer else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def reasoning_text(prompt: str) -> str:
    prompt = DIRECTIVE.sub("", prompt).strip()
    return f"The user wrote {len(prompt)} characters. I will quote them back in Markdown."


def title_for(messages: list[dict]) -> str:
    """A short deterministic title for the title prompt: the first words of the question
    in the exchange it is sent (``user: …`` before ``assistant: …``)."""
    exchange = DIRECTIVE.sub("", last_user_text(messages))
    question = re.split(r"^assistant:", exchange, maxsplit=1, flags=re.M)[0].removeprefix("user:")
    words = re.findall(r"[A-Za-z0-9']+", question)
    stop = {"title", "conversation", "write", "words", "six", "most", "the", "a", "of", "for", "at", "this"}
    kept = " ".join([w for w in words if w.lower() not in stop][:5])
    return kept[:1].upper() + kept[1:] if kept else "Demo conversation"
