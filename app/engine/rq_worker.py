"""An RQ worker that runs many jobs at once, each in a thread of its own.

RQ has no concurrent worker (rq/rq#1790); RQ 3 does let one worker hold several
executions. This worker takes a job whenever one of its ``slots`` is free and hands it
to one of its job threads (``job_threads.py``), which runs it with RQ's own bookkeeping:
the job is in the started registry, has its execution record and status, gets RQ's hard
time limit (kept for every job of the process by one watchdog thread, ``deadlines.py``,
as the alarm signal serves only the main thread and RQ's ``TimerDeathPenalty`` starts a
thread per job) and lands in the finished or failed registry. Stream threads spend nearly
all their time waiting on sockets, so one process holds hundreds of replies on a few MB;
a thread pool per process was chosen over many single-job workers by measurement
(README, "Streaming engine"). RQ writes a job's start in two Redis round trips and its
success in four; this worker writes each in one (:meth:`ConcurrentWorker.start_execution`,
:meth:`ConcurrentWorker.handle_job_success`).

This is the only module that touches RQ's internals (``pyproject.toml`` keeps RQ within
the major version they were read from).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache

from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.rate_limit import release_slot
from rq.registry import StartedJobRegistry
from rq.timeouts import BaseDeathPenalty, JobTimeoutException
from rq.utils import now
from rq.worker import WorkerStatus

from app.engine.deadlines import Watchdog
from app.engine.job_threads import JobThreads

SLOT_WAIT_SECONDS = 5
HEARTBEAT_EVERY_SECONDS = 1.0


@lru_cache(maxsize=None)
def _timeout_exception(base: type[Exception], seconds: int) -> type[Exception]:
    """RQ's timeout exception (``base``) with its message for ``seconds``: an exception raised
    in another thread is given as a class, so the message must be the class's own."""
    message = f"Task exceeded maximum timeout value ({seconds} seconds)"
    return type(base.__name__, (base,), {"__init__": lambda self, *args: base.__init__(self, message)})


_watchdog = Watchdog()


class SharedTimerDeathPenalty(BaseDeathPenalty):
    """RQ's hard time limit for a job running in a thread of its own, kept by the process's
    one watchdog thread."""

    def __init__(self, timeout, exception=JobTimeoutException, **kwargs) -> None:
        super().__init__(timeout, exception, **kwargs)
        self._key: int | None = None

    def setup_death_penalty(self) -> None:
        if self._timeout > 0:
            self._key = _watchdog.watch(self._timeout, threading.get_ident(),
                                        _timeout_exception(self._exception, int(self._timeout)))

    def cancel_death_penalty(self) -> None:
        if self._key is not None:
            _watchdog.forget(self._key)
            self._key = None


class ConcurrentWorker(SimpleWorker):
    """Runs up to ``slots`` jobs at once. Warm shutdown stops taking jobs and waits for the running ones."""

    death_penalty_class = SharedTimerDeathPenalty
    slots = 1
    job_thread_nice = 0
    on_start: Callable[[], None] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._free_slots = threading.BoundedSemaphore(self.slots)
        self._job_threads = JobThreads(self.job_thread_nice)
        self._running: set[str] = set()  # the ids of the jobs running now
        self._running_lock = threading.Lock()
        self._none_running = threading.Condition(self._running_lock)
        self._waiting_for_job = False
        self._beaten_at = 0.0
        self._suspension_checked_at = 0.0

    @classmethod
    def configured(cls, slots: int, on_start: Callable[[], None] | None = None,
                   job_thread_nice: int = 0) -> type[ConcurrentWorker]:
        """A worker class with ``slots`` jobs at once, its job threads ``job_thread_nice`` levels
        below its other threads, calling ``on_start`` in its process before taking jobs (RQ's
        worker pool builds each worker from a class, after forking)."""
        return type(cls.__name__, (cls,), {"slots": max(1, slots), "on_start": staticmethod(on_start),
                                           "job_thread_nice": job_thread_nice})

    def bootstrap(self, *args, **kwargs) -> None:
        """Start the process's shared threads here, before any job thread: a thread started from
        a job thread would take its lower nice level (``on_start`` starts the stream loop)."""
        super().bootstrap(*args, **kwargs)
        _watchdog.start()
        if self.on_start is not None:
            self.on_start()

    def _start_scheduler(self, *args, **kwargs) -> None:
        """No scheduler process: Confab enqueues no delayed jobs (RQ's pool asks for one per worker)."""

    @property
    def running_jobs(self) -> int:
        with self._running_lock:
            return len(self._running)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None):
        """Wait for a free slot (keeping the worker's heartbeat), then for a job."""
        while not self._free_slots.acquire(timeout=SLOT_WAIT_SECONDS):
            self.heartbeat()
            if self._stop_requested:
                return None
        self._waiting_for_job = True
        try:
            result = super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        except BaseException:
            self._free_slots.release()
            raise
        finally:
            self._waiting_for_job = False
        if result is None:
            self._free_slots.release()
        return result

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Hand the job to a job thread, which records its execution and performs it. This loop
        goes straight back for the next job: under load each of its Redis round trips waits for
        the GIL, and so does a new thread's start (with 200 replies posted at once it took ~10 ms
        a job when it recorded the execution and started a thread itself)."""
        with self._running_lock:
            self._running.add(job.id)
        self._job_threads.run(lambda: self._run_job(job, queue), lambda: self._job_ended(job.id))

    def _run_job(self, job: Job, queue: Queue) -> None:
        threading.current_thread().name = f"rq-job-{job.id}"
        try:
            execution = self.start_execution(job, queue)
        except Exception:  # Redis failed: the job stays in RQ's intermediate queue for its maintenance
            self.log.exception("Worker %s: could not record the execution of job %s", self.name, job.id)
            return
        self.perform_job(job, queue, execution)

    def start_execution(self, job: Job, queue: Queue) -> Execution:
        """What RQ writes before a job runs, in one round trip (it takes two: the execution
        record and the worker busy, then the heartbeats and the job started, out of the
        intermediate queue)."""
        with self.connection.pipeline() as pipeline:
            heartbeat_ttl = self.get_heartbeat_ttl(job)
            execution = Execution.create(job, heartbeat_ttl, pipeline=pipeline, worker_name=self.name)
            self.executions[execution.id] = execution
            self.set_state(WorkerStatus.BUSY, pipeline=pipeline)
            self.heartbeat(heartbeat_ttl, pipeline=pipeline)
            job.heartbeat(now(), heartbeat_ttl, pipeline=pipeline)
            job.prepare_for_execution(self.name, pipeline=pipeline)
            pipeline.persist(job.key)
            if len(self.queues) == 1:  # as RQ: with several queues, its maintenance clears the intermediate one
                pipeline.lrem(queue.intermediate_queue_key, 1, job.id)
            pipeline.execute()
        return execution

    def prepare_job_execution(self, job: Job, remove_from_intermediate_queue: bool = False) -> None:
        """Written with the execution record (:meth:`start_execution`)."""

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        """The job's end time; its last heartbeat goes out with its outcome when it succeeded
        (:meth:`handle_job_success`), in a round trip of its own as RQ does when it failed."""
        if job.get_status(refresh=False) == JobStatus.FAILED:
            super().handle_execution_ended(job, queue, heartbeat_ttl)
            return
        job.ended_at = now()

    def handle_job_success(self, job: Job, queue: Queue, started_job_registry: StartedJobRegistry,
                           execution: Execution) -> None:
        """RQ's record of a success (the job finished with its result, in the finished registry,
        its execution removed, the worker's counts) in one round trip. RQ takes four: the last
        heartbeat, then a WATCH and a read of the job's dependents before its transaction.
        Confab's jobs have no dependents (``app/platform/queue.py`` enqueues none that depends on
        another); a job that repeats goes through RQ's own."""
        if job.repeats_left:
            job.heartbeat(job.ended_at, 0)
            super().handle_job_success(job, queue, started_job_registry, execution)
            return
        result_ttl = job.get_result_ttl(self.default_result_ttl)
        job.last_heartbeat = job.ended_at  # written with the rest of the job by its save (a job kept 0 s is deleted)
        with self.connection.pipeline() as pipeline:
            self.increment_successful_job_count(pipeline=pipeline)
            self.increment_total_working_time(job.ended_at - job.started_at, pipeline)
            if result_ttl != 0:
                job._handle_success(result_ttl, pipeline=pipeline, worker_name=self.name, execution_id=execution.id,
                                    execution_started_at=execution.created_at, execution_ended_at=job.ended_at)
            job.cleanup(result_ttl, pipeline=pipeline, remove_from_queue=False)
            self.cleanup_execution(job, pipeline=pipeline, execution=execution)
            pipeline.execute()
        release_slot(job)

    def _job_ended(self, job_id: str) -> None:
        with self._running_lock:
            self._running.discard(job_id)
            idle = not self._running
            if idle:
                self._none_running.notify_all()
        self._free_slots.release()
        if idle:
            self.set_state(WorkerStatus.IDLE)

    def set_state(self, state: str, pipeline=None) -> None:
        """The worker is busy while any of its jobs runs, not only while it dequeues; an
        unchanged state is not written again (RQ sets it around every job it takes)."""
        if state == WorkerStatus.IDLE and self.running_jobs:
            state = WorkerStatus.BUSY
        if pipeline is None and state == self._state:
            return
        super().set_state(state, pipeline)

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        """At most one beat a second. RQ beats before and after every job it takes, three
        Redis round trips each, and under load each round trip of this loop waits for the GIL:
        with 200 replies starting at once the loop took only 12–17 jobs a second."""
        if pipeline is None and timeout is None and time.monotonic() - self._beaten_at < HEARTBEAT_EVERY_SECONDS:
            return
        if pipeline is None:
            self._beaten_at = time.monotonic()
        super().heartbeat(timeout, pipeline)

    def check_for_suspension(self, burst: bool) -> None:
        """At most once a second, like the heartbeat: RQ asks Redis whether workers are
        suspended (``rq suspend``), with a beat, before every job it takes."""
        if time.monotonic() - self._suspension_checked_at < HEARTBEAT_EVERY_SECONDS:
            return
        self._suspension_checked_at = time.monotonic()
        super().check_for_suspension(burst)

    def _shutdown(self) -> None:
        """Warm shutdown: take no more jobs; break out of a blocking dequeue at once."""
        self._stop_requested = True
        self.set_shutdown_requested_date()
        if self._waiting_for_job:
            raise StopRequested()

    def teardown(self) -> None:
        """Let the running jobs finish before the worker deregisters."""
        with self._none_running:
            if self._running:
                self.log.info("Worker %s: waiting for %s running jobs", self.name, len(self._running))
            self._none_running.wait_for(lambda: not self._running)
        super().teardown()
