"""Slow clients cannot hold the web process's connections (issue 30): once a request starts,
its line and headers must arrive within the header deadline (2 s in the test stack), and a
silent connection is closed after the idle limit (6 s); a WebSocket, once open, may stay
quiet for longer than both. Many open connections leave room for one more (issue 35)."""
from __future__ import annotations

import resource
import socket
import time
from urllib.parse import urlsplit

import requests

HEADER_SECONDS, IDLE_SECONDS = 2, 6
HELD = 1100


def connect(stack) -> socket.socket:
    address = urlsplit(stack.web_url)
    return socket.create_connection((address.hostname, address.port), timeout=IDLE_SECONDS + 5)


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_headers_sent_one_line_at_a_time_are_cut_off_with_a_408_at_the_deadline(stack):
    with connect(stack) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: confab\r\n")
        answer = b""
        for number in range(40):  # a header every 0.25 s, for 10 s if nobody stops it
            try:
                sock.sendall(b"X-Slow-%d: a\r\n" % number)
            except OSError:
                break
            sock.settimeout(0.25)
            try:
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            if answer:
                break
        sock.settimeout(5)
        answer += read_until_closed(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer[:200]
    assert HEADER_SECONDS - 0.5 < waited < HEADER_SECONDS + 3, waited


def test_a_request_line_that_never_ends_is_closed_at_the_deadline(stack):
    with connect(stack) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /log")
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started < HEADER_SECONDS + 3


def test_a_silent_connection_is_closed_after_the_idle_limit_and_a_prompt_one_is_answered(stack):
    with connect(stack) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert IDLE_SECONDS - 0.5 < time.monotonic() - started < IDLE_SECONDS + 3
    with connect(stack) as sock:
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: confab\r\nConnection: close\r\n\r\n")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 200 OK")


def test_an_open_websocket_may_stay_quiet_longer_than_the_deadlines(ann, chat_id):
    listener = ann.socket()
    try:
        time.sleep(IDLE_SECONDS + 1)
        assert listener.join(chat_id)["ok"] is True
    finally:
        listener.close()


def still_open(sock: socket.socket) -> bool:
    """Whether the server has not closed ``sock`` (it sent nothing, so nothing is waiting)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_a_request_is_answered_while_more_connections_are_open_than_eventlets_default_pool(stack):
    """A team's open pages are a connection each (issue 35): with 1,100 silent connections open
    (eventlet's default pool holds 1,024, and a full pool stops accepting), a new request is
    answered while every one of them is still open, not once the idle limit frees a place."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < HELD + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(HELD + 100, hard), hard))
    held = [connect(stack) for _ in range(HELD)]
    try:
        answer = requests.get(f"{stack.web_url}/login", timeout=IDLE_SECONDS * 3)
        assert answer.status_code == 200
        assert sum(still_open(sock) for sock in held) == HELD  # none had to be closed to make room
    finally:
        for sock in held:
            sock.close()
