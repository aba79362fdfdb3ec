"""An API client of a chat's event stream (``GET /api/v1/chats/{id}/events``), read in a
thread with httpx and httpx-sse, recording every event it receives."""
from __future__ import annotations

import json
import threading
import time

import httpx
from httpx_sse import connect_sse


class EventStream:
    def __init__(self, base_url: str, token: str, chat_id: int, last_event_id: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.events: list[dict] = []
        self.status: int | None = None
        self.ended = threading.Event()
        self._opened = threading.Event()
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=httpx.Timeout(10, read=None))
        self._response = None
        self._thread = threading.Thread(target=self._read, args=(f"/api/v1/chats/{chat_id}/events",), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the event stream did not open"

    def _read(self, path: str) -> None:
        try:
            with connect_sse(self._client, "GET", path) as source:
                self._response = source.response
                self.status = source.response.status_code
                self._opened.set()
                if self.status != 200:
                    return
                for sse in source.iter_sse():
                    if not sse.data:  # a heartbeat comment (httpx-sse 0.4.3 yields it as an empty message)
                        continue
                    self.events.append({"id": sse.id or None, "event": sse.event, "data": json.loads(sse.data)})
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass
        finally:
            self._client.close()
            self._opened.set()
            self.ended.set()

    @property
    def last_id(self) -> str | None:
        ids = [e["id"] for e in self.events if e["id"]]
        return ids[-1] if ids else None

    def named(self, name: str, message_id: int | None = None) -> list[dict]:
        return [e["data"] for e in self.events
                if e["event"] == name and (message_id is None or e["data"].get("message_id") == message_id)]

    def wait_for(self, name: str, message_id: int | None = None, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(name, message_id)
            if found:
                return found[-1]
            if self.ended.is_set():
                break
            time.sleep(0.02)
        raise AssertionError(f"no {name} for {message_id} in {[e['event'] for e in self.events]}")

    def wait_for_deltas(self, message_id: int, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while len(self.named("message.delta", message_id)) < count:
            assert time.monotonic() < deadline, f"only {len(self.named('message.delta', message_id))} deltas"
            time.sleep(0.02)

    def close(self) -> None:
        """Hang up, as a client whose connection drops."""
        if self._response is not None:
            self._response.close()
        self._client.close()
        self._thread.join(5)
