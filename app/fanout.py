"""The web process's side of the event bus: every event, to the rooms of its own connections.

One background task per web process subscribes to the bus (``app/realtime.py``) and
emits each event of each batch to the chat's room; Socket.IO encodes a packet once
per event and sends it to every member of the room connected here. If Redis goes
away, the task reconnects with backoff; events published meanwhile are lost to live
viewers only, who catch up from the database on their next join.
"""
from __future__ import annotations

import logging
import time

import orjson
import redis

from app.realtime import BUS_CHANNEL, local_delivery
from app.sidebar_batch import SidebarBatch

log = logging.getLogger(__name__)


def start_fanout(app, socketio, url: str, streams) -> None:
    """Run the bus listener, and the sender of batched sidebar events, as background tasks
    of the Socket.IO server (green under eventlet); ``streams`` is the process's hub of
    event streams (``app/api/streams.py``)."""
    sidebar = SidebarBatch(socketio)
    socketio.start_background_task(_listen, app, socketio, url, sidebar, streams)
    socketio.start_background_task(sidebar.run_forever)


def _listen(app, socketio, url: str, sidebar: SidebarBatch, streams) -> None:
    with app.app_context():
        _deliver_forever(socketio, url, sidebar, streams)


def _deliver_forever(socketio, url: str, sidebar: SidebarBatch, streams) -> None:
    deliver = local_delivery(socketio, sidebar, streams)
    backoff = 0.1
    while True:
        client = redis.Redis.from_url(url, health_check_interval=30)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(BUS_CHANNEL)
            backoff = 0.1
            for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    events = orjson.loads(message["data"])
                except ValueError:
                    log.warning("ignored a bus message that is not JSON")
                    continue
                deliver(events)
        except redis.exceptions.RedisError as exc:
            log.warning("event bus connection lost (%s); reconnecting in %.1fs", exc, backoff)
        finally:
            try:
                pubsub.close()
                client.close()
            except redis.exceptions.RedisError:
                pass
        time.sleep(backoff)
        backoff = min(backoff * 2, 5.0)
