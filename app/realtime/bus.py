"""The event bus: publishing on it (every process), and listening to it (every web process).

Publishing: :func:`bus_publisher` sends a batch of events, each chat's also appended to its
log (``event_log.py``), in one script call; :func:`publish_with_writes` does the same in one
atomic step with a batch of other writes (a streaming reply's live state, ``app/engine/relay.py``).

Listening: one background task per web process subscribes to the bus and
emits each event of each batch to the chat's room; Socket.IO encodes a packet once
per event and sends it to every member of the room connected here. If Redis goes
away, the task reconnects with backoff; events published meanwhile are lost to live
viewers only, who catch up from the database on their next join.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import orjson
import redis

from app.realtime import event_log
from app.realtime.delivery import local_delivery
from app.realtime.rooms import Event
from app.realtime.sidebar_batch import SidebarBatch

log = logging.getLogger(__name__)


BUS_CHANNEL = "confab:events"


def bus_publisher(client: redis.Redis) -> Callable[..., None]:
    """Publish on the bus, each chat's events also appended to its log (``event_log.py``):
    one script call per batch.

    With a ``pipeline``, the call is one more of its commands, sent when the caller executes
    it. It goes as EVAL with the script's text: redis-py asks ``SCRIPT EXISTS`` in a round
    trip of its own before any pipeline that holds a registered script, and EVAL can never
    meet a server that has forgotten the script."""
    script = client.register_script(event_log.PUBLISH_EVENTS)

    def publish(events: list[Event], pipeline: redis.client.Pipeline | None = None) -> None:
        keys, args = event_log.script_arguments(events, BUS_CHANNEL)
        if pipeline is None:
            script(keys=keys, args=args)
        else:
            pipeline.eval(event_log.PUBLISH_EVENTS, len(keys), *keys, *args)
    return publish


# One atomic step for a batch of writes and events: append each text, set each value (keeping
# the keys' expiry), and log and publish the events (``event_log.py``). The relay writes each
# streaming reply's text and last seq this way (``app/engine/live_state.py``), so a join
# snapshot never sees text without its seq, or a seq without its text, and an event stream's
# snapshot matches a position in the chat's log.
# KEYS: the append keys, the set keys, the log keys; ARGV: their counts, the texts, the values,
# then ``log_and_publish``'s arguments when there is a bus.
PUBLISH_WITH_WRITES = event_log.LOG_AND_PUBLISH + """
local appends, seqs = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, appends do redis.call('APPEND', KEYS[i], ARGV[i + 2]) end
for i = appends + 1, appends + seqs do redis.call('SET', KEYS[i], ARGV[i + 2], 'KEEPTTL') end
if #ARGV > appends + seqs + 2 then log_and_publish(appends + seqs, appends + seqs + 2) end
return appends
"""


def publish_with_writes(script: redis.commands.core.Script, appends: list[tuple[str, str]],
                        sets: list[tuple[str, object]], events: list[Event] | None = None,
                        channel: str | None = None) -> None:
    """Append each ``(key, text)``, set each ``(key, value)`` and, given a bus ``channel``, log
    and publish ``events``: all in one round trip, atomically. ``script`` is
    :data:`PUBLISH_WITH_WRITES` registered on a client."""
    keys = [key for key, _ in appends] + [key for key, _ in sets]
    args: list[object] = [len(appends), len(sets), *(text for _, text in appends), *(value for _, value in sets)]
    if channel is not None and events:
        log_keys, log_args = event_log.script_arguments(events, channel)
        keys.extend(log_keys)
        args.extend(log_args)
    script(keys=keys, args=args)


def start_fanout(app, socketio, url: str, streams) -> None:
    """Run the bus listener, and the sender of batched sidebar events, as background tasks
    of the Socket.IO server (green under eventlet); ``streams`` is the process's hub of
    event streams (``app/realtime/streams.py``)."""
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
