"""The reply engine: how one worker process runs many streaming replies at once.

- ``rq_worker.py``: the RQ worker that runs up to ``STREAMS_PER_WORKER`` jobs at once,
  each in its own thread (the only module that touches RQ's internals).
- ``relay.py``: one thread per process that sends the deltas of every reply in
  batched Redis round trips, coalescing chunks when busy.
- ``supervisor.py``: one thread per process that keeps every reply's heartbeat and
  chat lock alive and closes a reply's upstream stream when someone cancels it.

The reply workflow that runs on it (claim, build context, stream, finish) is
``app/services/replies.py``.
"""
from __future__ import annotations

import threading

from flask import current_app

from app.engine.relay import Relay
from app.engine.supervisor import StreamSupervisor
from app.realtime import local_delivery, publish_in
from app.redis_client import FAKE_SCHEME, get_redis

_create = threading.Lock()


def relay() -> Relay:
    """This process's relay (created on first use)."""
    extensions = current_app.extensions
    with _create:
        if "confab.relay" not in extensions:
            if current_app.config["REDIS_URL"].startswith(FAKE_SCHEME):
                from app.extensions import socketio

                extensions["confab.relay"] = Relay(get_redis(), deliver=local_delivery(socketio))
            else:
                extensions["confab.relay"] = Relay(get_redis(), publish=publish_in)
        return extensions["confab.relay"]


def supervisor() -> StreamSupervisor:
    """This process's stream supervisor (created on first use)."""
    extensions = current_app.extensions
    with _create:
        if "confab.supervisor" not in extensions:
            config = current_app.config
            extensions["confab.supervisor"] = StreamSupervisor(
                get_redis(), config["STREAM_HEARTBEAT_SECONDS"], config["STREAM_HEARTBEAT_TTL"])
        return extensions["confab.supervisor"]
