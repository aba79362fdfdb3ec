"""The concurrent RQ worker's own bookkeeping (``app/engine/rq_worker.py``): its heartbeat, state
and suspension check cost Redis round trips in the loop that takes every job, so it makes
them only when they can say something new."""
from __future__ import annotations

import pytest
from rq import Queue
from rq.exceptions import StopRequested

from app.engine.rq_worker import HEARTBEAT_EVERY_SECONDS, ConcurrentWorker
from app.redis_client import get_redis


def _worker() -> ConcurrentWorker:
    worker = ConcurrentWorker.configured(4)([Queue("bookkeeping", connection=get_redis())], connection=get_redis())
    worker.register_birth()
    return worker


def _field(worker: ConcurrentWorker, name: str) -> bytes | None:
    return get_redis().hget(worker.key, name)


def test_the_worker_beats_at_most_once_a_second(app):
    worker = _worker()
    worker.heartbeat()
    first = _field(worker, "last_heartbeat")
    get_redis().hdel(worker.key, "last_heartbeat")
    worker.heartbeat()
    assert _field(worker, "last_heartbeat") is None  # too soon: nothing written
    worker._beaten_at -= HEARTBEAT_EVERY_SECONDS
    worker.heartbeat()
    assert _field(worker, "last_heartbeat") is not None and first is not None


def test_the_worker_writes_its_state_only_when_it_changes(app):
    worker = _worker()
    worker.set_state("busy")
    get_redis().hdel(worker.key, "state")
    worker.set_state("busy")
    assert _field(worker, "state") is None
    worker.set_state("idle")
    assert _field(worker, "state") == b"idle"


def test_the_worker_asks_whether_workers_are_suspended_at_most_once_a_second(app):
    from rq.suspension import resume, suspend

    worker = _worker()
    worker.check_for_suspension(burst=True)  # not suspended: goes on
    suspend(get_redis())
    try:
        worker.check_for_suspension(burst=True)  # checked a moment ago: not asked again
        worker._suspension_checked_at -= HEARTBEAT_EVERY_SECONDS
        with pytest.raises(StopRequested):
            worker.check_for_suspension(burst=True)
    finally:
        resume(get_redis())


def test_a_reply_job_is_enqueued_in_one_redis_round_trip(app, monkeypatch):
    import redis

    from app.jobs.queue import enqueue_replies, queue

    # RQ asks a real server's version once per connection and remembers it (fakeredis has no INFO)
    setattr(get_redis(), "__rq_redis_server_version", (7, 0, 0))
    calls = []
    for owner, method in ((redis.Redis, "execute_command"), (redis.client.Pipeline, "execute")):
        original = getattr(owner, method)
        monkeypatch.setattr(owner, method, lambda self, *args, _original=original, _name=method, **kwargs:
                            calls.append(_name) or _original(self, *args, **kwargs))
    enqueue_replies(7)
    assert calls == ["execute"]
    monkeypatch.undo()
    jobs = queue().jobs
    assert [(job.func_name, job.args) for job in jobs] == [("app.jobs.replies.answer_pending_messages", (7,))]
    assert queue().name in [q.name for q in Queue.all(connection=get_redis())]
