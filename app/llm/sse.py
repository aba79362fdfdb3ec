"""Reading a streamed completion's server-sent events as plain JSON, cheaply.

The ``openai`` SDK still makes the request (auth, headers, status errors, the HTTP
connection) and hands back its stream class; :class:`ChunkStream` only replaces how
the body is cut into events. The SDK's decoder builds a ``ServerSentEvent`` per line
group through several Python generators, the largest share of a worker's per-chunk
cost at 200 replies; this one splits the received bytes on blank lines and parses each
event's ``data`` with one ``orjson.loads``: 3–4 µs a chunk where the standard library's
``json.loads`` of the bytes took ~7 (20,000 distinct chunks; its encoding detection and
decoding are Python). It keeps the SDK's rules: ``[DONE]`` ends the
stream, an event whose JSON carries ``error`` raises ``openai.APIError``, comments and
other fields are skipped, and read timeouts and dropped connections raise the SDK's
own ``APITimeoutError`` and ``APIConnectionError``. A ``data`` that is not JSON is
skipped rather than ending the reply (it cannot carry text Confab could show).

This is the only module that reaches into the SDK's private streaming helpers (which
errors a read can raise, how a finished HTTP/1.1 body is drained, and its aiohttp
transport's reader and error mapping); ``pyproject.toml`` keeps the SDK within the major
version they were read from.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx2
import openai
import orjson
from openai import APIConnectionError, APITimeoutError
from openai._streaming import drain_response_async, request_exceptions, timeout_exceptions
from openai._vendor.httpx_aiohttp.transport import AiohttpResponseStream, map_aiohttp_exceptions

# A stream whose socket holds many chunks at once (a fast provider, a long answer) is read in
# turns of this many, each turn ending with a pass of the loop: without it one reply read a
# whole buffer (hundreds of chunks) before the loop's other replies got a turn, and an answer
# of 75,000 tiny chunks held a steady stream beside it for up to half a second.
CHUNKS_PER_TURN = 32
UNEXPLAINED_ERROR = "An error occurred during streaming"  # the SDK's words for an error event without a message


def event_data(block: bytes) -> bytes | None:
    """The ``data`` of one event (its ``data:`` lines joined by newlines); None without any."""
    if block.startswith(b"data:") and b"\n" not in block:  # the usual event: one data line
        data = block[5:]
        return data[1:] if data.startswith(b" ") else data
    lines = [line for line in block.split(b"\n") if line.startswith(b"data:")]
    if not lines:
        return None
    return b"\n".join(line[6:] if line.startswith(b"data: ") else line[5:] for line in lines)


def split_events(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete events in ``buffer`` (without their blank-line ends) and the unfinished rest.

    CR and CRLF line ends become LF; a CR at the very end waits in the rest, since the LF
    of its CRLF may be in the next packet."""
    held = b""
    if b"\r" in buffer:
        if buffer.endswith(b"\r"):
            buffer, held = buffer[:-1], b"\r"
        buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    *blocks, rest = buffer.split(b"\n\n")
    return blocks, rest + held


def _plain_aiohttp_body(response: httpx2.Response) -> aiohttp.StreamReader | None:
    """The body's own aiohttp reader, when the SDK's aiohttp transport carries it and nothing
    needs decoding: read from it directly, each chunk skips four generators (the transport's,
    and httpx's timing, raw and decoding layers). A compressed body is read through httpx."""
    stream = getattr(response.stream, "_stream", None)
    if not isinstance(stream, AiohttpResponseStream):
        return None
    if response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    return stream._aiohttp_response.content


class ChunkStream(openai.AsyncStream[object]):
    """The SDK's async stream of one chat completion, yielding each chunk as a dict."""

    def __aiter__(self) -> AsyncIterator[object]:
        """The chunks themselves: the SDK's ``__aiter__`` passes each through one more generator."""
        return self._iterator

    async def __stream__(self) -> AsyncIterator[object]:
        response = self.response
        body = _plain_aiohttp_body(response)
        received_bytes = body.iter_any() if body is not None else response.aiter_bytes()
        buffer = b""
        since_turn = 0
        try:
            with map_aiohttp_exceptions():
                async for received in received_bytes:
                    blocks, buffer = split_events(buffer + received)
                    for block in blocks:
                        since_turn += 1
                        if since_turn == CHUNKS_PER_TURN:  # a full buffer: let the loop's other streams go
                            since_turn = 0
                            await asyncio.sleep(0)
                        data = event_data(block)
                        if data is None:
                            continue
                        if data.startswith(b"[DONE]"):
                            if response.http_version == "HTTP/1.1":
                                await drain_response_async(response)
                            return
                        try:
                            chunk = orjson.loads(data)
                        except ValueError:
                            continue
                        if isinstance(chunk, dict) and chunk.get("error"):
                            raise self._stream_error(chunk["error"])
                        yield chunk
        except timeout_exceptions() as err:
            raise APITimeoutError(request=response.request) from err
        except request_exceptions() as err:
            raise APIConnectionError(request=response.request) from err
        finally:
            await response.aclose()

    def _stream_error(self, error: object) -> openai.APIError:
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(message, str) or not message:
            message = UNEXPLAINED_ERROR
        return openai.APIError(message=message, request=self.response.request, body=error)
