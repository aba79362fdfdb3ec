"""Every documented async mode starts (issue 34): the web process, as `wsgi.py`, on the stack's
database and Redis, answers /healthz and a Socket.IO handshake in eventlet, gevent and threading."""
from __future__ import annotations

import sys

import pytest
import requests

from tests.support.processes import free_port, start, stop, wait_for_http


@pytest.mark.parametrize("mode", ["eventlet", "gevent", "threading"])
def test_the_web_process_starts_and_answers_in_every_async_mode(stack, mode):
    port = free_port()
    process = start([sys.executable, "wsgi.py"], {**stack.env(), "PORT": str(port), "CONFAB_ASYNC_MODE": mode},
                    stack.workdir / f"web-{mode}-{port}.log")
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", process=process)
        health = requests.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 200 and health.json() == {"ok": True, "database": "ok", "redis": "ok"}
        handshake = requests.get(f"{base}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
        assert handshake.status_code == 200 and '"sid"' in handshake.text, handshake.text
        assert f"({mode}," in (stack.workdir / f"web-{mode}-{port}.log").read_text()
    finally:
        stop(process)
