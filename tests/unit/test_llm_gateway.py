"""The LLM gateway against the demo server over real HTTP through the openai SDK (SPEC §4, §9)."""
from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
import uuid
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from app.demo_llm import script
from app.engine import parts
from app.extensions import db
from app.llm.clients import async_client_for, client_for
from app.llm.errors import LlmError, MissingApiKey
from app.llm.streaming import _usage as streaming_usage
from app.llm.streaming import (
    ChatStream,
    ContentDelta,
    Finish,
    ReasoningDelta,
    ToolCalls,
    Usage,
    content_events,
    delta_events,
)
from app.models import Account, Chat, LlmModel, LlmProvider, Message, User
from app.replies import store
from app.replies.context import build_request
from tests.support.queries import recorded_statements


@pytest.fixture
def demo_model(app, demo_llm):
    provider = db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "demo")).scalar_one()
    provider.base_url = f"{demo_llm}/v1"
    db.session.commit()
    return db.session.get(LlmModel, "demo-chat")


def _stream(model: LlmModel, prompt: str, **kwargs) -> ChatStream:
    messages = [{"role": "user", "content": prompt, "name": "Ann"}]
    return ChatStream(async_client_for(model.provider), model.id, messages, model_name=model.name, **kwargs)


def _read(stream: ChatStream, on_event=None) -> list:
    """Read a stream on the engine's stream loop, as reply jobs do; every event in order."""
    async def read() -> list:
        events = []
        async for event in stream:
            events.append(event)
            if on_event is not None:
                on_event(events)
        return events
    return parts.stream_loop().submit(read()).result(timeout=30)


def _collect(stream: ChatStream) -> list:
    return _read(stream)


def test_content_is_reassembled_exactly_with_usage_and_cost(demo_model):
    prompt = "Hello *there*\nsecond line [[chunks:40]]"
    events = _collect(_stream(demo_model, prompt))
    deltas = [e.text for e in events if isinstance(e, ContentDelta)]
    expected = script.answer_text([{"role": "user", "content": prompt}], script.plan_for(prompt))
    assert len(deltas) >= 30
    assert "".join(deltas) == expected
    assert [e.reason for e in events if isinstance(e, Finish)] == ["stop"]
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.input_tokens > 0 and usage.output_tokens == script.count_tokens(expected)
    cost = demo_model.cost(usage.input_tokens, usage.cached_tokens, usage.output_tokens)
    expected_cost = (usage.input_tokens * 0.10 + usage.output_tokens * 0.40) / 1_000_000
    assert float(cost) == pytest.approx(expected_cost, abs=1e-8)


def test_cached_tokens_are_priced_at_the_cached_price(demo_model):
    events = _collect(_stream(demo_model, "cache me [[cached:20]] " + "x" * 200))
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.cached_tokens == 20
    cost = demo_model.cost(usage.input_tokens, usage.cached_tokens, usage.output_tokens)
    expected = ((usage.input_tokens - 20) * 0.10 + 20 * 0.05 + usage.output_tokens * 0.40) / 1_000_000
    assert float(cost) == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_is_kept_apart_from_content(demo_model, field):
    directive = "[[reason]]" if field == "reasoning_content" else "[[reason:reasoning]]"
    prompt = f"think first {directive}"
    events = _collect(_stream(demo_model, prompt))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert reasoning == script.reasoning_text(prompt)
    assert reasoning not in content and content.startswith("You said:")
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.reasoning_tokens == script.count_tokens(reasoning)


def test_tool_call_arguments_split_over_many_chunks_are_reassembled(demo_model):
    arguments = {"expression": "(6 * 7) + 1000 / 8", "note": "split me into many small pieces"}
    prompt = f"[[tool:calculator {json.dumps(arguments)}]] [[tool:current_time {{}}]]"
    tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in ("calculator", "current_time")]
    events = _collect(_stream(demo_model, prompt, tools=tools))
    calls = next(e for e in events if isinstance(e, ToolCalls)).calls
    assert [c.name for c in calls] == ["calculator", "current_time"]
    assert calls[0].parsed_arguments() == arguments
    assert calls[0].id.startswith("call_") and calls[0].id != calls[1].id
    assert [e.reason for e in events if isinstance(e, Finish)] == ["tool_calls"]


@pytest.mark.parametrize(
    ("directive", "retryable", "words"),
    [
        ("[[status:429]]", True, "rate-limiting"),
        ("[[status:500]]", True, "had an error"),
        ("[[status:503]]", True, "had an error"),
        ("[[status:401]]", False, "credentials"),
        ("[[status:403]]", False, "credentials"),
        ("[[status:400]]", False, "too long"),
        ("[[status:404]]", False, "unknown model"),
    ],
)
def test_provider_errors_are_classified(demo_model, directive, retryable, words):
    with pytest.raises(LlmError) as caught:
        _collect(_stream(demo_model, f"fail {uuid.uuid4()} {directive}"))
    assert caught.value.retryable is retryable
    assert words in caught.value.message


def test_unknown_model_is_a_permanent_error(demo_model):
    stream = ChatStream(async_client_for(demo_model.provider), "no-such-model", [{"role": "user", "content": "hi"}],
                        model_name="No such")
    with pytest.raises(LlmError) as caught:
        _collect(stream)
    assert not caught.value.retryable and "unknown model" in caught.value.message


def test_unreachable_provider_is_retryable(app, demo_model):
    demo_model.provider.base_url = "http://127.0.0.1:9/v1"
    with pytest.raises(LlmError) as caught:
        _collect(_stream(demo_model, "hello"))
    assert caught.value.retryable and "Could not reach" in caught.value.message


def test_dropped_connection_after_deltas_raises_after_partial_content(demo_model):
    received = []

    def keep_text(events):
        if isinstance(events[-1], ContentDelta):
            received.append(events[-1].text)

    with pytest.raises(LlmError) as caught:
        _read(_stream(demo_model, f"drop {uuid.uuid4()} [[drop:3]] [[chunks:20]]"), keep_text)
    assert len(received) == 3
    assert caught.value.retryable


def test_an_error_event_mid_stream_fails_with_the_providers_words_after_the_text_so_far(demo_model):
    received = []

    def keep_text(events):
        if isinstance(events[-1], ContentDelta):
            received.append(events[-1].text)

    with pytest.raises(LlmError) as caught:
        _read(_stream(demo_model, f"fail {uuid.uuid4()} [[fail:4]] [[chunks:20]]"), keep_text)
    assert len(received) == 4
    assert "The model stopped with an internal error." in caught.value.message
    assert not caught.value.retryable


def test_missing_api_key_names_the_variable(app):
    provider = LlmProvider(key="needs-key", base_url="http://127.0.0.1:9/v1", api_key_env="CONFAB_TEST_UNSET_KEY")
    with pytest.raises(MissingApiKey) as caught:
        client_for(provider)
    assert "CONFAB_TEST_UNSET_KEY" in str(caught.value)


def test_clients_are_created_once_per_provider(demo_model):
    assert client_for(demo_model.provider) is client_for(demo_model.provider)
    assert async_client_for(demo_model.provider) is async_client_for(demo_model.provider)


def test_cancel_closes_the_http_stream_and_the_server_sees_it(demo_model, demo_llm):
    tag = f"cancel-{uuid.uuid4().hex[:8]}"
    stream = _stream(demo_model, f"slow answer [[slow:100]] [[chunks:60]] [[tag:{tag}]]")

    def close_after_two(events):
        if sum(isinstance(e, ContentDelta) for e in events) == 2 and isinstance(events[-1], ContentDelta):
            threading.Thread(target=stream.close).start()

    got = [e for e in _read(stream, close_after_two) if isinstance(e, ContentDelta)]
    assert len(got) <= 3
    deadline = time.monotonic() + 5
    state = None
    while time.monotonic() < deadline:
        state = requests.get(f"{demo_llm}/_demo/requests/{tag}", timeout=2).json()["last"]
        if state:
            break
        time.sleep(0.05)
    assert state == "disconnected"


def _chat_with_history(count: int, chars: int = 400) -> tuple[Chat, Message]:
    account = Account(name="T")
    user = User(email=f"{uuid.uuid4().hex[:6]}@example.com", name="Ann Lee!", password_hash="x")
    chat = Chat(account=account, creator=user, model_id="demo-chat", instructions="Be brief.")
    db.session.add_all([account, user, chat])
    parent = None
    for i in range(count):  # one path: each message follows the one before it
        role = "user" if i % 2 == 0 else "assistant"
        parent = Message(chat=chat, user=user if role == "user" else None, role=role, parent=parent,
                         content=f"{i:05d} " + "y" * chars, status="completed")
        db.session.add(parent)
    newest = Message(chat=chat, user=user, role="user", content="the newest question", status="completed", parent=parent)
    reply = Message(chat=chat, role="assistant", status="pending", content="", parent=newest)
    db.session.add_all([newest, reply])
    db.session.commit()
    return chat, reply


def test_long_history_is_trimmed_oldest_first_keeping_instructions_and_newest(app):
    chat, reply = _chat_with_history(200)
    built = build_request(store.history(reply.parent_id), chat.instructions, context_window=4000, max_output_tokens=1000)
    assert built.messages[0] == {"role": "system", "content": "Be brief."}
    assert built.messages[-1]["content"] == "the newest question"
    assert built.messages[-1]["name"] == "Ann_Lee"
    kept_numbers = [int(m["content"][:5]) for m in built.messages[1:-1]]
    assert kept_numbers == sorted(kept_numbers) and kept_numbers[-1] == 199
    assert built.report["trimmed"] == 201 - built.report["included"]
    assert built.report["trimmed"] > 150
    assert built.report["estimated_tokens"] <= 3000
    assert built.report["instructions"] is True


def test_newest_user_message_is_kept_even_when_it_alone_is_too_long(app):
    chat, reply = _chat_with_history(4)
    last = db.session.execute(sa.select(Message).where(Message.content == "the newest question")).scalar_one()
    last.content = "z" * 50_000
    db.session.commit()
    built = build_request(store.history(reply.parent_id), "Keep me", context_window=1000, max_output_tokens=100)
    assert [m["role"] for m in built.messages] == ["system", "user"]
    assert built.report["trimmed"] == 4


def test_building_context_for_2000_messages_uses_a_constant_number_of_queries(app):
    chat, reply = _chat_with_history(2000, chars=20)
    instructions = chat.instructions
    db.session.expire_all()
    reply = db.session.get(Message, reply.id)
    with recorded_statements() as statements:
        built = build_request(store.history(reply.parent_id), instructions, 32000, 4096)
    assert built.report["included"] + built.report["trimmed"] == 2001
    assert len(statements) <= 4


def test_nul_characters_from_the_model_are_dropped(demo_model):
    prompt = "a b c [[nul]]"
    raw = script.answer_text([{"role": "user", "content": prompt}], script.plan_for(prompt))
    assert "\x00" in raw
    text = "".join(e.text for e in _collect(_stream(demo_model, prompt)) if isinstance(e, ContentDelta))
    assert text == raw.replace("\x00", "")


def test_content_streamed_as_typed_parts_is_split_into_answer_and_reasoning(demo_model):
    prompt = "parts please [[parts]] [[reason]] [[chunks:12]]"
    events = _collect(_stream(demo_model, prompt))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert reasoning == script.reasoning_text(prompt)
    assert content == script.answer_text([{"role": "user", "content": prompt}], script.plan_for(prompt))


def test_keep_alives_null_deltas_and_unknown_fields_are_tolerated(demo_model):
    prompt = "odd stream [[quirks]]"
    events = _collect(_stream(demo_model, prompt))
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert content == script.answer_text([{"role": "user", "content": prompt}], script.plan_for(prompt))
    assert [e.reason for e in events if isinstance(e, Finish)] == ["stop"]


def test_every_content_part_form_is_kept_in_order():
    parts = [
        {"type": "thinking", "thinking": "Let me see. "},
        {"type": "reasoning", "text": "Still thinking. "},
        {"type": "text", "text": "Hello"},
        "plain string part",
        {"type": "output_text", "text": " world"},
        {"type": "future_kind", "text": " (kept)"},
        {"type": "image", "url": "x"},
        {"type": "text", "text": "nul\x00free"},
        None,
    ]
    events = list(content_events(parts))
    assert [(type(e).__name__, e.text) for e in events] == [
        ("ReasoningDelta", "Let me see. "), ("ReasoningDelta", "Still thinking. "), ("ContentDelta", "Hello"),
        ("ContentDelta", "plain string part"), ("ContentDelta", " world"), ("ContentDelta", " (kept)"),
        ("ContentDelta", "nulfree"),
    ]
    assert [e.text for e in delta_events({"reasoning_content": "r", "content": "c", "refusal": "no"})] == ["r", "c", "no"]


class _ScriptedProvider(http.server.BaseHTTPRequestHandler):
    """A provider whose event stream is the class's ``body`` (gzipped with ``gzipped``), and
    which then stalls for ``stall`` seconds before ending it."""

    body = b""
    gzipped = False
    stall = 0.0

    def do_POST(self):  # noqa: N802 (the handler's own name)
        self.rfile.read(int(self.headers["Content-Length"]))
        body = gzip.compress(self.body) if self.gzipped else self.body
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if self.gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.stall:
            self.wfile.write(body[:-1])
            self.wfile.flush()
            time.sleep(self.stall)
            body = body[-1:]
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted_provider(app):
    """Point the demo provider at a :class:`_ScriptedProvider` subclass; yields it to script."""
    handler = type("Provider", (_ScriptedProvider,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provider = db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "demo")).scalar_one()
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    db.session.commit()
    yield handler
    server.shutdown()
    server.server_close()


def _events_body(*texts: str) -> bytes:
    chunks = [{"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]} for text in texts]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return b"".join(f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks) + b"data: [DONE]\n\n"


def test_a_compressed_event_stream_is_read_like_a_plain_one(scripted_provider):
    scripted_provider.body, scripted_provider.gzipped = _events_body("Hello", ", ", "world"), True
    model = db.session.get(LlmModel, "demo-chat")
    events = _collect(_stream(model, "hi"))
    assert [e.text for e in events if isinstance(e, ContentDelta)] == ["Hello", ", ", "world"]
    assert isinstance(events[-1], Finish) and events[-1].reason == "stop"


def test_a_stream_that_stalls_past_the_timeout_fails_as_retryable_after_its_text(app, scripted_provider, monkeypatch):
    monkeypatch.setitem(app.config, "LLM_TIMEOUT_SECONDS", 0.5)  # read when the client for this server is made
    scripted_provider.body, scripted_provider.stall = _events_body("partial"), 3
    model = db.session.get(LlmModel, "demo-chat")
    received = []
    with pytest.raises(LlmError) as caught:
        _read(_stream(model, "hi"), lambda events: received.append(events[-1]))
    assert [e.text for e in received if isinstance(e, ContentDelta)] == ["partial"]
    assert caught.value.retryable and "took too long" in caught.value.message


def test_usage_reported_in_every_chunk_counts_once_as_its_last_report(demo_model, demo_llm):
    prompt = "count me once [[usage:every]] [[chunks:20]]"
    raw = requests.post(f"{demo_llm}/v1/chat/completions", timeout=10, json={
        "model": demo_model.id, "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": prompt}]}).text
    reports = [json.loads(line[6:])["usage"] for line in raw.splitlines()
               if line.startswith("data: {") and "usage" in json.loads(line[6:])]
    assert len(reports) >= 20  # the server reports in every chunk, each the whole so far
    events = _collect(_stream(demo_model, prompt))
    usages = [e for e in events if isinstance(e, Usage)]
    expected = script.answer_text([{"role": "user", "content": prompt}], script.plan_for(prompt))
    assert len(usages) == 1 and usages[0].output_tokens == script.count_tokens(expected) == reports[-1]["completion_tokens"]
    assert usages[0].input_tokens == reports[-1]["prompt_tokens"]


def test_thinking_nested_in_text_parts_is_reasoning_not_dropped(demo_model):
    prompt = "think it over [[parts:nested]] [[reason]] [[chunks:8]]"
    events = _collect(_stream(demo_model, prompt))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    assert reasoning == script.reasoning_text(prompt) and reasoning
    assert content == script.answer_text([{"role": "user", "content": prompt}], script.plan_for(prompt))


@pytest.mark.parametrize("shape", ["openrouter", "perplexity"])
def test_a_cost_the_provider_states_is_read_in_its_shape(demo_model, shape):
    events = _collect(_stream(demo_model, f"what did it cost [[cost:{shape}]]"))
    usage = next(e for e in events if isinstance(e, Usage))
    stated = script.stated_cost(script.plan_for(f"[[cost:{shape}]]"), usage.input_tokens, usage.output_tokens)
    expected = stated if shape == "openrouter" else stated["total_cost"]  # Perplexity's includes its request fee
    assert usage.cost == Decimal(str(expected)) and usage.cost > 0
    if shape == "perplexity":
        assert usage.cost >= Decimal(str(script.PERPLEXITY_REQUEST_FEE))


@pytest.mark.parametrize("cost", [True, -1, "NaN", "abc", None, [], {"total_cost": None}, {"total_cost": -2}])
def test_a_stated_cost_that_is_no_amount_is_ignored(cost):
    assert streaming_usage({"prompt_tokens": 3, "completion_tokens": 4, "cost": cost}).cost is None


def test_no_stated_cost_leaves_the_catalogs_price_to_be_used(demo_model):
    usage = next(e for e in _collect(_stream(demo_model, "plain")) if isinstance(e, Usage))
    assert usage.cost is None
