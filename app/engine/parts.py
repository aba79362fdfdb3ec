"""This process's engine parts, each built on first use and kept in the app's extensions:
the stream loop, the relay, the draft writer, the supervisor, and the places of replies being
stored at once. ``worker.py`` starts a worker process's supervisor and loop here."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from app.engine.drafts import DraftWriter
from app.engine.loop import StreamLoop
from app.engine.relay import Relay
from app.engine.supervisor import StreamSupervisor
from app.platform.redis_client import FAKE_SCHEME, get_redis
from app.realtime.bus import BUS_CHANNEL
from app.realtime.delivery import local_delivery

_create = threading.Lock()
T = TypeVar("T")


def _per_process(key: str, build: Callable[[dict], T]) -> T:
    """The engine part stored under ``key`` in the app's extensions, built on first use."""
    extensions = current_app.extensions
    with _create:
        if key not in extensions:
            extensions[key] = build(current_app.config)
        return extensions[key]


def stream_loop() -> StreamLoop:
    """This process's stream-reading event loop."""
    return _per_process("confab.loop", lambda config: StreamLoop())


def _build_relay(config: dict) -> Relay:
    if config["REDIS_URL"].startswith(FAKE_SCHEME):
        from app.extensions import socketio

        return Relay(get_redis(), deliver=local_delivery(socketio))
    return Relay(get_redis(), bus_channel=BUS_CHANNEL,
                 linger_per_reply=config["STREAM_LINGER_PER_REPLY_MS"] / 1000,
                 max_linger=config["STREAM_MAX_LINGER_MS"] / 1000)


def relay() -> Relay:
    """This process's relay."""
    return _per_process("confab.relay", _build_relay)


def draft_writer() -> DraftWriter:
    """This process's writer of streaming replies' text."""
    return _per_process("confab.drafts", lambda config: DraftWriter(
        config["STREAM_FLUSH_SECONDS"], config["STREAM_FLUSH_CHARS"]))


def finishing() -> threading.BoundedSemaphore:
    """The places of this process's replies being stored and announced (``FINISHING_AT_ONCE``).

    When many replies end together, each job thread storing its reply, rendering its Markdown
    and telling its room takes the GIL from the stream loop, which reads every other reply's
    chunks: at 200 replies ~150 ended in one second, and the loop ran up to 90 ms late. Two at a
    time (five runs each at 200 replies), the added p99 was 102–134 ms instead of 110–174, and a
    reply's ``message.completed`` reached its room 47–133 ms after its last delta (median) instead
    of 18–58."""
    return _per_process("confab.finishing",
                        lambda config: threading.BoundedSemaphore(max(1, config["FINISHING_AT_ONCE"])))


def supervisor() -> StreamSupervisor:
    """This process's stream supervisor."""
    return _per_process("confab.supervisor", lambda config: StreamSupervisor(
        get_redis(), config["STREAM_HEARTBEAT_SECONDS"], config["STREAM_HEARTBEAT_TTL"]))


def supervise_worker_process(sweep: Callable[[], None]) -> None:
    """Start this worker process's supervisor now, calling ``sweep`` (the reply workflow's
    clean-up of dead workers' replies, ``app/jobs/sweeps.py``) every ``STREAM_SWEEP_SECONDS``,
    and its stream loop."""
    supervisor().start(sweep, current_app.config["STREAM_SWEEP_SECONDS"])
    stream_loop().start()  # from this thread, not a job thread: it must not take their lower nice level
