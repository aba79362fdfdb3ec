"""The demo LLM server: a small real HTTP server speaking the OpenAI API (SPEC §9).

Run with ``flask demo-llm --port 5055``. Tests steer it with directives in the
prompt (see :mod:`app.demo_llm.script`) and ask ``GET /_demo/requests/<tag>``
what became of a request (``completed``, ``disconnected``, ``dropped``, ``failed``).
"""
from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
import uuid
import zlib
from collections import defaultdict

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from app.demo_llm import script

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
    """The WSGI application, with a record of what happened to each request."""

    def __init__(self) -> None:
        self.url_map = Map([
            Rule("/v1/models", endpoint="models", methods=["GET"]),
            Rule("/v1/chat/completions", endpoint="chat", methods=["POST"]),
            Rule("/v1/images/generations", endpoint="images", methods=["POST"]),
            Rule("/_demo/requests/<tag>", endpoint="request_state", methods=["GET"]),
            Rule("/_demo/health", endpoint="health", methods=["GET"]),
        ])
        self._lock = threading.Lock()
        self._seen: dict[str, int] = defaultdict(int)
        self.states: dict[str, list[str]] = defaultdict(list)

    # -- bookkeeping -----------------------------------------------------------
    def _note(self, tag: str, state: str) -> None:
        with self._lock:
            self.states[tag].append(state)

    def _times_seen(self, tag: str) -> int:
        with self._lock:
            self._seen[tag] += 1
            return self._seen[tag]

    # -- WSGI ------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
            response = getattr(self, f"on_{endpoint}")(request, **values)
        except NotFound:
            response = _error(404, "not_found", "not_found", "No such route.")
        except HTTPException as exc:
            response = exc.get_response(environ)
        return response(environ, start_response)

    def on_health(self, request: Request) -> Response:
        return _json({"ok": True})

    def on_models(self, request: Request) -> Response:
        return _json({"object": "list", "data": [{"id": m, "object": "model", "owned_by": "confab-demo"} for m in MODELS]})

    def on_request_state(self, request: Request, tag: str) -> Response:
        with self._lock:
            states = list(self.states.get(tag, []))
        return _json({"tag": tag, "states": states, "last": states[-1] if states else None})

    def on_chat(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "invalid_request_error", "invalid_body", "Send a JSON body with 'messages'.")
        if body.get("model") not in MODELS:
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
        answering_tool = bool(messages) and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool"
        if not body.get("tools") or (answering_tool and not plan.tool_loop):
            plan.tool_calls = []
        if not body.get("stream"):
            return self._complete(body, messages, plan)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return Response(self._stream(body, messages, plan, include_usage), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache"})

    def _usage(self, messages: list[dict], answer: str, reasoning: str, plan: script.Plan) -> dict:
        prompt_tokens = script.prompt_tokens(messages)
        reasoning_tokens = script.count_tokens(reasoning)
        completion = script.count_tokens(answer) + reasoning_tokens + 8 * len(plan.tool_calls)
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": min(plan.cached_tokens, prompt_tokens)},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        }

    def _complete(self, body: dict, messages: list[dict], plan: script.Plan) -> Response:
        system = " ".join(script.text_of(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "system")
        answer = script.title_for(messages) if "title" in system.lower() else script.answer_text(messages, plan)
        self._note(plan.tag, "completed")
        return _json({
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": self._usage(messages, answer, "", plan),
        })

    def _stream(self, body: dict, messages: list[dict], plan: script.Plan, include_usage: bool):
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())

        def chunk(delta: dict | None, finish: str | None = None, usage: dict | None = None, choices: bool = True) -> bytes:
            payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body["model"]}
            if plan.quirks:
                payload["x_unknown_field"] = {"ignored": True}
            payload["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}] if choices else []
            if usage is not None:
                payload["usage"] = usage
            return f"data: {json.dumps(payload)}\n\n".encode()

        answer = "" if plan.tool_calls else script.answer_text(messages, plan)
        reasoning = script.reasoning_text(script.last_user_text(messages)) if plan.reasoning_field else ""
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
                self._pause(plan)
                if plan.parts:
                    yield chunk({"content": [{"type": "thinking", "thinking": piece}]})
                else:
                    yield chunk({plan.reasoning_field: piece, "content": None})
            for index, (name, arguments) in enumerate(plan.tool_calls):
                call_id = f"call_{hashlib.sha1(f'{completion_id}{index}'.encode()).hexdigest()[:16]}"
                self._pause(plan)
                yield chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                             "function": {"name": name, "arguments": ""}}]})
                for start in range(0, len(arguments), 3):
                    self._pause(plan)
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
                self._pause(plan)
                text = f"<{time.time():.6f}>" if plan.stamp else piece
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

    @staticmethod
    def _pause(plan: script.Plan) -> None:
        if plan.slow_ms:
            time.sleep(plan.slow_ms / 1000)

    def on_images(self, request: Request) -> Response:
        body = request.get_json(silent=True)
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


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(status: int, kind: str, code: str, message: str) -> Response:
    return _json({"error": {"message": message, "type": kind, "code": code, "param": None}}, status)


def _png(prompt: str, size: int = 64) -> bytes:
    """A solid square PNG whose colour depends on the prompt."""
    r, g, b = hashlib.sha256(prompt.encode()).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * size
    raw = zlib.compress(row * size)

    def block(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + block(b"IHDR", header) + block(b"IDAT", raw) + block(b"IEND", b"")


class _QuietHandler(WSGIRequestHandler):
    # Each streamed chunk leaves in one write, as real providers send an event: buffered
    # writes flushed per chunk, with Nagle's delay off. (Unbuffered, the standard library
    # sends the chunk-size line, the data and the line end as separate small packets.)
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_request(self, *args, **kwargs) -> None:
        """Requests are not logged: a benchmark makes thousands."""


def serve(host: str = "127.0.0.1", port: int = 5055) -> None:
    """Serve until interrupted; one thread per connection."""
    server = make_server(host, port, DemoLLM(), threaded=True, request_handler=_QuietHandler)
    server.serve_forever()
