"""The web process's admission gate (app/platform/admission.py): a few requests at once, bodies read first."""
from __future__ import annotations

import io
import threading

import sqlalchemy as sa

from app.extensions import db
from app.platform.admission import IN_MEMORY_BYTES, AdmissionGate, give_socket_turns, takes_turn


class HeldApp:
    """A WSGI app whose requests stay inside until released; it counts how many are inside."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.bodies: list[bytes] = []
        self.release = threading.Event()
        self._mutex = threading.Lock()

    def __call__(self, environ, start_response):
        with self._mutex:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        body = environ["wsgi.input"].read()
        self.release.wait(5)
        with self._mutex:
            self.inside -= 1
            self.bodies.append(body)
        start_response("200 OK", [])
        return [b"ok"]


class SlowUpload(io.RawIOBase):
    """A request body whose bytes arrive only when ``arrive`` is set, as from a slow client."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)
        self.arrive = threading.Event()
        self.waiting = threading.Event()

    def read(self, size: int = -1) -> bytes:
        self.waiting.set()
        self.arrive.wait(5)
        return self.data.read(size)


def environ_with(body: bytes | io.RawIOBase, length: int | None = None) -> dict:
    stream = io.BytesIO(body) if isinstance(body, bytes) else body
    if length is None:
        length = len(body) if isinstance(body, bytes) else 0
    return {"CONTENT_LENGTH": str(length), "wsgi.input": stream}


def serve_in_threads(gate: AdmissionGate, environs: list[dict]) -> list[threading.Thread]:
    threads = [threading.Thread(target=lambda e=e: gate(e, lambda *a: None)) for e in environs]
    for thread in threads:
        thread.start()
    return threads


def test_no_more_requests_than_allowed_are_inside_at_once_and_every_one_is_served():
    app = HeldApp()
    gate = AdmissionGate(app, at_once=3, max_body_bytes=1000)
    threads = serve_in_threads(gate, [environ_with(f"post {i}".encode()) for i in range(12)])
    threading.Event().wait(0.2)
    assert app.inside == 3
    app.release.set()
    for thread in threads:
        thread.join(5)
    assert app.most_inside == 3
    assert sorted(app.bodies) == sorted(f"post {i}".encode() for i in range(12))


def test_a_slow_upload_does_not_hold_a_place_while_its_body_arrives():
    app = HeldApp()
    app.release.set()
    gate = AdmissionGate(app, at_once=1, max_body_bytes=1000)
    upload = SlowUpload(b"x" * 500)
    (slow,) = serve_in_threads(gate, [environ_with(upload, length=500)])
    assert upload.waiting.wait(5)
    assert gate(environ_with(b"a quick post"), lambda *a: None) == [b"ok"]
    assert app.bodies == [b"a quick post"]
    upload.arrive.set()
    slow.join(5)
    assert app.bodies == [b"a quick post", b"x" * 500]


def test_the_app_reads_the_same_body_small_or_large():
    app = HeldApp()
    app.release.set()
    gate = AdmissionGate(app, at_once=2, max_body_bytes=4 * IN_MEMORY_BYTES)
    large = bytes(range(256)) * (IN_MEMORY_BYTES // 256 + 10)
    gate(environ_with(b"content=hello"), lambda *a: None)
    gate(environ_with(large), lambda *a: None)
    assert app.bodies == [b"content=hello", large]


def test_a_body_cut_short_reaches_the_app_short_and_an_oversized_one_is_left_unread():
    app = HeldApp()
    app.release.set()
    gate = AdmissionGate(app, at_once=2, max_body_bytes=100)
    gate(environ_with(b"only part", length=50), lambda *a: None)
    oversized = environ_with(b"y" * 200)
    stream = oversized["wsgi.input"]
    gate(oversized, lambda *a: None)
    assert oversized["wsgi.input"] is stream  # left for the app, which refuses it unread (test_bad_input)
    assert app.bodies == [b"only part", b"y" * 200]



def test_socket_handlers_take_turns_and_end_their_transaction_before_leaving_their_turn(app):
    give_socket_turns(app, 2)
    held = HeldApp()
    transaction_open_after: list[bool] = []

    @takes_turn
    def on_connect():
        db.session.execute(sa.text("SELECT 1"))  # a connection is checked out for the handler
        return held({"wsgi.input": io.BytesIO(b"connect")}, lambda *a: None)

    def a_socket_connects() -> None:
        with app.app_context():
            on_connect()
            transaction_open_after.append(db.session().in_transaction())

    crowd = [threading.Thread(target=a_socket_connects) for _ in range(7)]
    for thread in crowd:
        thread.start()
    threading.Event().wait(0.2)
    assert held.inside == 2
    held.release.set()
    for thread in crowd:
        thread.join(5)
    assert held.most_inside == 2
    assert held.bodies == [b"connect"] * 7
    assert transaction_open_after == [False] * 7  # its connection went back to the pool in its turn
