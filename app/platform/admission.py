"""Admission: at most a few HTTP requests at once in a web process, the rest about in arrival order.

A web process is one thread of green threads. When 200 members post at the same moment,
every request runs a little, waits on the database, runs a little more: with all of them
admitted they share the CPU evenly and finish together, so the median post is answered
almost as late as the last one. Admitted a few at a time (``WEB_REQUESTS_AT_ONCE``), the
first ones are answered first and their replies start streaming sooner; the last post is
answered no later than before. Measured with ``bench/posts.py`` (README, "Streaming
engine"): 200 posts at once, median answer 0.54–0.57 s before, 0.45–0.47 s after.

Socket.IO never reaches this gate (its middleware sits outside it), and a streamed body
(the API's event stream, a download) is sent after the request has left it. A request's
body is read before the request takes its turn, so a slow upload never holds a place.

Socket.IO handlers that read the database take turns of their own (:func:`takes_turn`,
``SOCKET_EVENTS_AT_ONCE``). When a web process restarts, every member's browser connects
again at once, and each connect loads its person: a thousand of them would each hold one of
the pool's connections or wait for one, ahead of the requests. In turns, they hold at most
``SOCKET_EVENTS_AT_ONCE`` connections, and a post waits only for its own turn
(``bench/streams.py --storm``).
"""
from __future__ import annotations

import functools
import io
import tempfile
import threading
from collections.abc import Callable, Iterable

from flask import Flask, current_app

from app.extensions import db

READ_BYTES = 64 * 1024
IN_MEMORY_BYTES = 1024 * 1024  # larger bodies wait in a temporary file
SOCKET_TURNS = "confab.socket_turns"


class AdmissionGate:
    """WSGI middleware: ``at_once`` requests inside ``wsgi_app`` at a time, the rest about in
    arrival order (a semaphore's waiters are woken first-come, though a request arriving just
    as a place frees may take it first).

    Bodies up to ``max_body_bytes`` (the app's own limit) are read first; a larger one, or one
    of no stated length, is left to the app, which refuses it before reading it.
    """

    def __init__(self, wsgi_app: Callable, at_once: int, max_body_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.max_body_bytes = max_body_bytes
        self._turns = threading.Semaphore(max(1, at_once))  # green under eventlet or gevent

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = self._read_body_first(environ)
        try:
            with self._turns:
                return self.wsgi_app(environ, start_response)
        finally:
            if body is not None:
                body.close()

    def _read_body_first(self, environ: dict) -> io.BytesIO | tempfile.SpooledTemporaryFile | None:
        """The body, read, now the request's input; None where it is left to the app."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # the app answers 400
        if length <= 0 or length > self.max_body_bytes:
            return None
        source = environ["wsgi.input"]
        body = io.BytesIO() if length <= IN_MEMORY_BYTES else tempfile.SpooledTemporaryFile(IN_MEMORY_BYTES)
        left = length
        while left:
            data = source.read(min(left, READ_BYTES))
            if not data:
                break  # the client went away: the app sees a short body, as it would have
            body.write(data)
            left -= len(data)
        body.seek(0)
        environ["wsgi.input"] = body
        return body


def give_socket_turns(app: Flask, at_once: int) -> None:
    """``at_once`` turns for the web process's Socket.IO handlers that read the database."""
    app.extensions[SOCKET_TURNS] = threading.Semaphore(max(1, at_once))


def takes_turn(handler: Callable) -> Callable:
    """A Socket.IO handler that reads the database: it waits for a turn, and ends its
    transaction before it leaves the turn, which gives the connection back to the pool (the
    handlers commit what they write; the event's teardown would end it only after the turn)."""

    @functools.wraps(handler)
    def in_turn(*args, **kwargs):
        with current_app.extensions[SOCKET_TURNS]:
            try:
                return handler(*args, **kwargs)
            finally:
                db.session.rollback()

    return in_turn
