"""The concurrent RQ worker's own bookkeeping (``app/engine/rq_worker.py``): its heartbeat, state
and suspension check cost Redis round trips in the loop that takes every job, so it makes
them only when they can say something new; one watchdog thread keeps every job's time limit."""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest
import redis
from rq import Queue
from rq.exceptions import StopRequested
from rq.executions import ExecutionRegistry
from rq.timeouts import JobTimeoutException

from app.engine import rq_worker
from app.engine.deadlines import Watchdog
from app.engine.job_threads import JobThreads
from app.engine.rq_worker import HEARTBEAT_EVERY_SECONDS, ConcurrentWorker, SharedTimerDeathPenalty
from app.platform.queue import enqueue_replies, queue
from app.platform.redis_client import get_redis


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


RAN_ON: list[threading.Thread] = []


def note_the_thread(pause: float) -> int:
    """A job: which thread ran it (the thread itself: an ended thread's id may be reused)."""
    time.sleep(pause)
    RAN_ON.append(threading.current_thread())
    return len(RAN_ON)


def test_jobs_run_in_job_threads_kept_for_the_next_jobs(app):
    RAN_ON.clear()
    jobs_queue = Queue("kept-threads", connection=get_redis())
    jobs = [jobs_queue.enqueue(note_the_thread, 0.05) for _ in range(8)]
    ConcurrentWorker.configured(2)([jobs_queue], connection=get_redis()).work(burst=True)
    assert [job.get_status(refresh=True) for job in jobs] == ["finished"] * 8
    assert sorted(jobs_queue.finished_job_registry.get_job_ids()) == sorted(job.id for job in jobs)
    assert len(RAN_ON) == 8
    assert len(set(RAN_ON)) == 2  # two slots: two threads, each kept for the next job
    assert threading.current_thread() not in RAN_ON


def _round_trips_of_each_job(monkeypatch) -> list[list[str]]:
    """The Redis round trips each job's thread makes while it runs the job, RQ's records included."""
    per_job: list[list[str]] = []
    running = threading.local()
    sends = ((redis.Redis, "execute_command"), (redis.client.Pipeline, "immediate_execute_command"),
             (redis.client.Pipeline, "execute"))  # a command; one while a pipeline WATCHes; a pipeline
    for owner, method in sends:
        original = getattr(owner, method)

        def counted(self, *args, _original=original, _name=method, **kwargs):
            if getattr(running, "calls", None) is not None:
                running.calls.append(_name)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(owner, method, counted)
    run_job = ConcurrentWorker._run_job

    def run_and_count(self, job, queue) -> None:
        running.calls = []
        try:
            run_job(self, job, queue)
        finally:
            per_job.append(running.calls)
            running.calls = None
    monkeypatch.setattr(ConcurrentWorker, "_run_job", run_and_count)
    return per_job


def test_a_job_s_start_and_success_are_recorded_as_rq_records_them_in_one_round_trip_each(app, monkeypatch):
    RAN_ON.clear()
    jobs_queue = Queue("one-round-trip", connection=get_redis())
    job = jobs_queue.enqueue(note_the_thread, 0, result_ttl=60)
    round_trips = _round_trips_of_each_job(monkeypatch)
    worker = ConcurrentWorker.configured(2)([jobs_queue], connection=get_redis())
    worker.work(burst=True)
    monkeypatch.undo()
    assert round_trips == [["execute", "execute"]]  # RQ's own takes six
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == 1
    assert job.worker_name == worker.name and job.started_at <= job.ended_at <= job.last_heartbeat
    assert jobs_queue.finished_job_registry.get_job_ids() == [job.id]
    assert jobs_queue.started_job_registry.get_job_ids() == []
    assert job.id not in jobs_queue.get_job_ids()
    assert get_redis().llen(jobs_queue.intermediate_queue_key) == 0
    assert ExecutionRegistry(job.id, connection=get_redis()).get_execution_ids() == []
    assert 0 < get_redis().ttl(job.key) <= 60
    assert int(_field(worker, "successful_job_count")) == 1 and float(_field(worker, "total_working_time")) >= 0


def fails() -> None:
    raise RuntimeError("the provider went away")


def test_a_job_that_raises_is_recorded_failed_as_rq_records_it(app):
    jobs_queue = Queue("failing", connection=get_redis())
    job = jobs_queue.enqueue(fails, failure_ttl=600)
    worker = ConcurrentWorker.configured(2)([jobs_queue], connection=get_redis())
    worker.work(burst=True)
    job.refresh()
    assert job.get_status() == "failed" and "the provider went away" in job.latest_result().exc_string
    assert job.last_heartbeat is not None and job.started_at <= job.ended_at
    assert jobs_queue.failed_job_registry.get_job_ids() == [job.id]
    assert jobs_queue.started_job_registry.get_job_ids() == []
    assert ExecutionRegistry(job.id, connection=get_redis()).get_execution_ids() == []
    assert int(_field(worker, "failed_job_count")) == 1


def test_a_job_thread_lives_on_after_what_it_runs_raises():
    threads, ran_on, ended = JobThreads(), [], threading.Event()

    def fails() -> None:
        ran_on.append(threading.current_thread())
        raise RuntimeError("Redis went away")

    def ends_and_fails() -> None:
        ended.set()
        raise RuntimeError("and again")

    threads.run(fails, ends_and_fails)
    assert ended.wait(5)
    second = threading.Event()
    threads.run(lambda: ran_on.append(threading.current_thread()), second.set)
    assert second.wait(5)
    assert len(ran_on) == 2 and ran_on[0] is ran_on[1]


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice level per thread is Linux's")


@linux_only
def test_job_threads_run_their_nice_steps_below_the_thread_that_started_them():
    threads, levels, done = JobThreads(nice=3), [], threading.Event()
    for _ in range(2):
        threads.run(lambda: levels.append(_nice()), done.set)
        assert done.wait(5)
        done.clear()
    assert levels == [min(19, _nice() + 3)] * 2  # the kept thread stays lowered for its next work
    assert _nice() == os.getpriority(os.PRIO_PROCESS, 0)  # the starting thread is where it was


LEVELS: list[tuple[int, int | None]] = []


def note_the_levels() -> None:
    """A job: its own thread's nice level, and the watchdog thread's (which keeps its time limit)."""
    watchdog = rq_worker._watchdog._thread
    LEVELS.append((_nice(), os.getpriority(os.PRIO_PROCESS, watchdog.native_id) if watchdog else None))


@linux_only
def test_a_worker_runs_its_jobs_lowered_and_its_shared_threads_at_its_own_level(app, monkeypatch):
    """The watchdog and what ``on_start`` starts (the stream loop) begin before any job thread,
    which would pass its lower level on to a thread it started."""
    monkeypatch.setattr(rq_worker, "_watchdog", Watchdog())  # as in a new worker process: no thread yet
    LEVELS.clear()
    started_by = []
    jobs_queue = Queue("lowered", connection=get_redis())
    jobs = [jobs_queue.enqueue(note_the_levels) for _ in range(3)]
    worker_class = ConcurrentWorker.configured(2, on_start=lambda: started_by.append(threading.current_thread()),
                                               job_thread_nice=5)
    worker_class([jobs_queue], connection=get_redis()).work(burst=True)
    assert [job.get_status(refresh=True) for job in jobs] == ["finished"] * 3
    assert started_by == [threading.current_thread()]
    assert LEVELS == [(min(19, _nice() + 5), _nice())] * 3


def test_a_reply_job_is_enqueued_in_one_redis_round_trip(app, monkeypatch):
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


def test_a_job_past_its_time_limit_is_stopped_by_the_one_watchdog_thread_of_the_process():
    outcomes: dict[str, str] = {}
    before = set(threading.enumerate())

    def job(name: str, seconds: float, runs_for: float) -> None:
        try:
            with SharedTimerDeathPenalty(seconds, JobTimeoutException):
                deadline = time.monotonic() + runs_for
                while time.monotonic() < deadline:
                    time.sleep(0.01)
            outcomes[name] = "finished"
        except JobTimeoutException as exc:
            outcomes[name] = str(exc)

    threads = [threading.Thread(target=job, args=(f"quick-{i}", 5, 0.05)) for i in range(20)]
    threads.append(threading.Thread(target=job, args=("endless", 1, 10)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert outcomes.pop("endless") == "Task exceeded maximum timeout value (1 seconds)"
    assert set(outcomes.values()) == {"finished"} and len(outcomes) == 20
    watchdogs = [t for t in threading.enumerate() if t.name == "rq-job-deadlines"]
    assert len(set(watchdogs) - before) <= 1 and rq_worker._watchdog._thread in watchdogs


def test_the_watchdog_forgets_the_deadlines_of_finished_jobs():
    watchdog = Watchdog()
    for _ in range(1000):
        watchdog.forget(watchdog.watch(3600, threading.get_ident(), RuntimeError))
    assert len(watchdog._deadlines) <= 64 + 2
