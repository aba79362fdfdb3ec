"""The demo LLM server: a small real HTTP server speaking the OpenAI API (SPEC §9).

Run with ``flask demo-llm --port 5055``. Tests steer it with directives in the
prompt (see :mod:`app.demo_llm.script`) and ask ``GET /_demo/requests/<tag>``
what became of a request (``completed``, ``disconnected``, ``dropped``, ``failed``), which
tools each of its requests offered, and how many tools' pictures they carried.

It runs on aiohttp's asyncio server, one event loop for every request: it stands in
for a provider on another machine, so it should take as little as possible of the
CPU that the benchmark measures Confab on. (As a thread per request, 200 streams of
a chunk every 10 ms cost it about as much CPU as Confab's web process.)
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator

from aiohttp import web

from app.demo_llm import catalog, script

MODELS = ("demo-chat", "demo-fast", "demo-image")
ERRORS = {
    400: ("invalid_request_error", "context_length_exceeded", "This model's maximum context length was exceeded."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("permission_denied", "permission_denied", "You are not allowed to use this model."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("rate_limit_exceeded", "rate_limit_exceeded", "Rate limit reached. Try again soon."),
    500: ("server_error", "server_error", "The server had an error while processing your request."),
    503: ("server_error", "overloaded", "The engine is currently overloaded."),
}
STREAM_ERROR = {"error": {"message": "The model stopped with an internal error.", "type": "server_error",
                           "code": "stream_failed", "param": None}}


class DroppedConnection(Exception):
    """Raised inside a streaming body to cut the connection mid-answer."""


class DemoLLM:
    """The request handlers, with a record of what happened to each request."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = defaultdict(int)
        self.states: dict[str, list[str]] = defaultdict(list)
        self.offered: dict[str, list[list[str]]] = defaultdict(list)  # the tools' names each request offered
        self.pictures: dict[str, int] = defaultdict(int)  # tools' pictures the requests carried

    def application(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[_not_found_as_json])
        for prefix in ("", "/catalog/{spec}"):
            app.router.add_get(f"{prefix}/v1/models", self.on_models)
            app.router.add_post(f"{prefix}/v1/chat/completions", self.on_chat)
            app.router.add_post(f"{prefix}/v1/images/generations", self.on_images)
        app.router.add_get("/_demo/requests/{tag}", self.on_request_state)
        app.router.add_get("/_demo/health", self.on_health)
        return app

    # -- bookkeeping (one event loop: no locks) ----------------------------------
    def _note(self, tag: str, state: str) -> None:
        self.states[tag].append(state)

    def _times_seen(self, tag: str) -> int:
        self._seen[tag] += 1
        return self._seen[tag]

    # -- handlers --------------------------------------------------------------
    async def on_health(self, request: web.Request) -> web.Response:
        return _json({"ok": True})

    async def on_models(self, request: web.Request) -> web.Response:
        spec = _spec(request)
        if spec is None:
            return _error(400, "invalid_request_error", "invalid_spec", "The catalog spec has a bad number.")
        if spec.slow:
            await asyncio.sleep(spec.slow)
        status = 401 if catalog.refuses(spec, request.headers.get("Authorization")) else spec.status
        if status:
            kind, code, message = ERRORS.get(status, ERRORS[500])
            return _error(status, kind, code, message)
        return _json(catalog.listing(spec))

    async def on_request_state(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"]
        states = list(self.states.get(tag, []))
        return _json({"tag": tag, "states": states, "last": states[-1] if states else None,
                      "tools_offered": self.offered.get(tag, []), "tool_pictures": self.pictures.get(tag, 0)})

    async def on_chat(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "invalid_request_error", "invalid_body", "Send a JSON body with 'messages'.")
        spec = _spec(request)
        if spec and catalog.refuses(spec, request.headers.get("Authorization")):
            return _error(401, *ERRORS[401])
        if body.get("model") not in MODELS and not (spec and catalog.offers(spec, str(body.get("model")))):
            return _error(404, "invalid_request_error", "model_not_found", f"The model '{body.get('model')}' does not exist.")
        messages = body["messages"]
        prompt = script.last_user_text(messages)
        plan = script.plan_for(prompt)
        if plan.status:
            seen = self._times_seen(plan.tag)
            if plan.status_times is None or seen <= plan.status_times:
                self._note(plan.tag, f"status:{plan.status}")
                kind, code, message = ERRORS.get(plan.status, ERRORS[500])
                return _error(plan.status, kind, code, message)
        offered = [tool.get("function", {}).get("name") for tool in body.get("tools") or [] if isinstance(tool, dict)]
        self.offered[plan.tag].append(offered)
        self.pictures[plan.tag] += sum(script.tool_pictures(m) for m in messages)
        if not body.get("tools") or (script.answering_tools(messages) and not plan.tool_loop):
            plan.tool_calls = []
        if not body.get("stream"):
            return self._complete(body, messages, plan)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        try:
            async for data in self._stream(body, messages, plan, include_usage):
                await response.write(data)
        except DroppedConnection:
            request.transport.abort()  # mid-body, without the chunked encoding's end
            return response
        except ConnectionError:
            return response  # the client went away; _stream noted it
        await response.write_eof()
        return response

    def _usage(self, messages: list[dict], answer: str, reasoning: str, plan: script.Plan) -> dict:
        prompt_tokens = script.prompt_tokens(messages)
        reasoning_tokens = script.count_tokens(reasoning)
        completion = script.count_tokens(answer) + reasoning_tokens + 8 * len(plan.tool_calls)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": min(plan.cached_tokens, prompt_tokens)},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        }
        if (cost := script.stated_cost(plan, prompt_tokens, completion)) is not None:
            usage["cost"] = cost
        return usage

    def _complete(self, body: dict, messages: list[dict], plan: script.Plan) -> web.Response:
        system = " ".join(script.text_of(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "system")
        answer = script.title_for(messages) if "title" in system.lower() else script.answer_text(messages, plan)
        self._note(plan.tag, "completed")
        return _json({
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": self._usage(messages, answer, "", plan),
        })

    async def _stream(self, body: dict, messages: list[dict], plan: script.Plan,
                      include_usage: bool) -> AsyncIterator[bytes]:
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())

        sent = {"answer": "", "reasoning": ""}  # so far: what a usage report in every chunk counts

        def chunk(delta: dict | None, finish: str | None = None, usage: dict | None = None, choices: bool = True) -> bytes:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body["model"]}
            if plan.quirks:
                payload["x_unknown_field"] = {"ignored": True}
            payload["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []
            if usage is None and plan.usage_every_chunk and include_usage:
                usage = self._usage(messages, sent["answer"], sent["reasoning"], plan)
            if usage is not None:
                payload["usage"] = usage
            return f"data: {json.dumps(payload)}\n\n".encode()

        answer = "" if plan.tool_calls else script.answer_text(messages, plan)
        reasoning = script.reasoning_text(script.last_user_text(messages)) if plan.reasoning_field else ""
        pause = plan.slow_ms / 1000
        finished = False
        content_sent = 0
        try:
            yield chunk({"role": "assistant", "content": ""})
            if plan.quirks:
                yield b": keep-alive\n\n"
                crlf = chunk(None).replace(b"\n", b"\r\n")
                yield crlf[:20]
                yield crlf[20:]
                yield b"data: {not json\n\n"
            for piece in script.split_chunks(reasoning, None):
                await asyncio.sleep(pause)
                sent["reasoning"] += piece
                if plan.parts:
                    thinking = [{"type": "text", "text": piece}] if plan.nested_thinking else piece
                    yield chunk({"content": [{"type": "thinking", "thinking": thinking}]})
                else:
                    yield chunk({plan.reasoning_field: piece, "content": None})
            if plan.tool_calls and plan.preamble:
                await asyncio.sleep(pause)
                yield chunk({"content": plan.preamble})
            for index, (name, arguments) in enumerate(plan.tool_calls):
                call_id = f"call_{hashlib.sha1(f'{completion_id}{index}'.encode()).hexdigest()[:16]}"
                await asyncio.sleep(pause)
                yield chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                             "function": {"name": name, "arguments": ""}}]})
                for start in range(0, len(arguments), 3):
                    await asyncio.sleep(pause)
                    yield chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[start:start + 3]}}]})
            for piece in script.split_chunks(answer, plan.chunks):
                if plan.drop_after is not None and content_sent >= plan.drop_after:
                    self._note(plan.tag, "dropped")
                    finished = True
                    raise DroppedConnection(plan.tag)
                if plan.fail_after is not None and content_sent >= plan.fail_after:
                    self._note(plan.tag, "failed")
                    finished = True
                    yield f"data: {json.dumps(STREAM_ERROR)}\n\n".encode()
                    return
                await asyncio.sleep(pause)
                text = script.stamp(time.time()) if plan.stamp else piece
                sent["answer"] += text
                yield chunk({"content": [{"type": "text", "text": text}] if plan.parts else text})
                content_sent += 1
            yield chunk({}, finish="tool_calls" if plan.tool_calls else "stop")
            if include_usage:
                yield chunk(None, usage=self._usage(messages, answer, reasoning, plan), choices=False)
            yield b"data: [DONE]\n\n"
            finished = True
            self._note(plan.tag, "completed")
        finally:
            if not finished:
                self._note(plan.tag, "disconnected")

    async def on_images(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return _error(400, "invalid_request_error", "invalid_body", "Send a JSON body with 'prompt'.")
        plan = script.plan_for(body["prompt"])
        if plan.refuse:
            self._note(plan.tag, "refused")
            return _error(400, "invalid_request_error", "content_policy_violation",
                          "Your request was rejected as a result of our safety system.")
        self._note(plan.tag, "completed")
        image = base64.b64encode(_png(body["prompt"])).decode()
        return _json({"created": int(time.time()), "data": [{"b64_json": image, "revised_prompt": body["prompt"]}]})


def _spec(request: web.Request) -> catalog.Spec | None:
    """The ``/catalog/<spec>/`` prefix's settings (plain settings without one); None if malformed."""
    try:
        return catalog.parse(request.match_info.get("spec", ""))
    except ValueError:
        return None


async def _body(request: web.Request) -> object:
    try:
        return json.loads(await request.read())
    except ValueError:
        return None


def _json(data: dict, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def _error(status: int, kind: str, code: str, message: str) -> web.Response:
    return _json({"error": {"message": message, "type": kind, "code": code, "param": None}}, status)


@web.middleware
async def _not_found_as_json(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return _error(404, "not_found", "not_found", "No such route.")


def _png(prompt: str, size: int = 64) -> bytes:
    """A solid square PNG whose colour depends on the prompt."""
    r, g, b = hashlib.sha256(prompt.encode()).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * size
    raw = zlib.compress(row * size)

    def block(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + block(b"IHDR", header) + block(b"IDAT", raw) + block(b"IEND", b"")


def serve(host: str = "127.0.0.1", port: int = 5055) -> None:
    """Serve until interrupted, every request on one event loop (uvloop's where installed)."""
    try:
        import uvloop
    except ImportError:
        loop = asyncio.new_event_loop()
    else:
        loop = uvloop.new_event_loop()
    web.run_app(DemoLLM().application(), host=host, port=port, print=None, access_log=None, loop=loop, handle_signals=True)
