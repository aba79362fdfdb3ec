"""An RQ worker that runs many jobs at once, each in a thread of its own.

RQ has no concurrent worker (rq/rq#1790); RQ 3 does let one worker hold several
executions. This worker takes a job whenever one of its ``slots`` is free and hands it
to one of its job threads (daemon threads, started as needed and kept for the next
jobs), which runs it with RQ's own bookkeeping: the job is in the started registry, has
its execution record and status, gets RQ's hard time limit (kept for every job of the
process by one watchdog thread, :class:`SharedTimerDeathPenalty`, as the alarm signal
serves only the main thread and RQ's ``TimerDeathPenalty`` starts a thread per job) and
lands in the finished or failed registry. Stream threads spend nearly all their time
waiting on sockets, so one process holds hundreds of replies on a few MB; a thread pool
per process was chosen over many single-job workers by measurement (README, "Streaming
engine").

This is the only module that touches RQ's internals.
"""
from __future__ import annotations

import ctypes
import heapq
import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from queue import SimpleQueue

from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue
from rq.timeouts import BaseDeathPenalty, JobTimeoutException
from rq.worker import WorkerStatus

SLOT_WAIT_SECONDS = 5
HEARTBEAT_EVERY_SECONDS = 1.0


@lru_cache(maxsize=None)
def _timeout_exception(base: type[Exception], seconds: int) -> type[Exception]:
    """RQ's timeout exception (``base``) with its message for ``seconds``: an exception raised
    in another thread is given as a class, so the message must be the class's own."""
    message = f"Task exceeded maximum timeout value ({seconds} seconds)"
    return type(base.__name__, (base,), {"__init__": lambda self, *args: base.__init__(self, message)})


class _Watchdog:
    """One thread per process that raises RQ's timeout in each job thread past its deadline."""

    def __init__(self) -> None:
        self._start_afresh()
        os.register_at_fork(after_in_child=self._start_afresh)

    def _start_afresh(self) -> None:
        """Empty, with no thread yet (in a forked child the parent's thread did not come along)."""
        self._changed = threading.Condition()
        self._deadlines: list[tuple[float, int]] = []  # a heap; entries of finished jobs are skipped
        self._watched: dict[int, tuple[int, type[BaseException]]] = {}
        self._keys = itertools.count()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread now, from the calling thread (whose nice level it takes), if not yet."""
        with self._changed:
            self._start_thread()

    def _start_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rq-job-deadlines", daemon=True)
            self._thread.start()

    def watch(self, seconds: float, thread_id: int, exception: type[BaseException]) -> int:
        key = next(self._keys)
        with self._changed:
            self._watched[key] = (thread_id, exception)
            heapq.heappush(self._deadlines, (time.monotonic() + seconds, key))
            if len(self._deadlines) > 2 * len(self._watched) + 64:  # drop the finished jobs' entries
                self._deadlines = [entry for entry in self._deadlines if entry[1] in self._watched]
                heapq.heapify(self._deadlines)
            self._start_thread()
            self._changed.notify()
        return key

    def forget(self, key: int) -> None:
        with self._changed:
            self._watched.pop(key, None)

    def _run(self) -> None:
        with self._changed:
            while True:
                while self._deadlines and self._deadlines[0][1] not in self._watched:
                    heapq.heappop(self._deadlines)
                if not self._deadlines:
                    self._changed.wait()
                    continue
                deadline, key = self._deadlines[0]
                if (left := deadline - time.monotonic()) > 0:
                    self._changed.wait(left)
                    continue
                heapq.heappop(self._deadlines)
                thread_id, exception = self._watched.pop(key)
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception))


_watchdog = _Watchdog()


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


class _JobThreads:
    """Daemon threads that run what they are given, started as needed and kept for the next
    work (a process's exit does not wait for them, as RQ's cold shutdown expects). Each runs
    ``nice`` steps below the process's other threads (:func:`lower_this_thread`)."""

    def __init__(self, nice: int = 0) -> None:
        self._work: SimpleQueue[tuple[Callable[[], None], Callable[[], None]]] = SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()
        self._nice = nice

    def run(self, work: Callable[[], None], then: Callable[[], None]) -> None:
        """Run ``work`` in an idle thread, or in a new one when none is idle; ``then`` runs after
        it, once that thread counts as idle again (so a slot it frees finds it idle)."""
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        self._work.put((work, then))
        if start:
            threading.Thread(target=self._serve, name="rq-job", daemon=True).start()

    def _serve(self) -> None:
        lower_this_thread(self._nice)
        while True:
            work, then = self._work.get()
            _survive(work)
            with self._lock:
                self._idle += 1
            _survive(then)


def lower_this_thread(steps: int) -> None:
    """Run the calling thread ``steps`` nice levels lower, so that when the machine is busy the
    operating system gives the process's other threads the cores first: the stream loop, which
    reads every reply's chunks, and the relay. Under 200 replies at once the job threads, each
    woken by its own database or Redis round trip, kept the stream loop waiting for a core
    ~65 % of the time, and a reply's request reached the model 130-240 ms after its job began.

    A thread started from a lowered thread inherits its level, so the process's shared threads
    are started before any job (:meth:`ConcurrentWorker.bootstrap`). Linux only, where a nice
    value belongs to a thread; a thread may always lower itself. Elsewhere, or if refused, the
    thread runs at the process's priority."""
    if steps <= 0 or not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + steps))
    except OSError as exc:
        logging.getLogger(__name__).warning("job threads run at the process's priority: %s", exc)


def _survive(call: Callable[[], None]) -> None:
    """Call, logging what it raises: a thread counted idle must live to take its next work (a job
    records its own failure; what is left to reach here is Redis failing, or a late time limit)."""
    try:
        call()
    except BaseException:
        logging.getLogger(__name__).exception("a job thread's work raised")


class ConcurrentWorker(SimpleWorker):
    """Runs up to ``slots`` jobs at once. Warm shutdown stops taking jobs and waits for the running ones."""

    death_penalty_class = SharedTimerDeathPenalty
    slots = 1
    job_thread_nice = 0
    on_start: Callable[[], None] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._free_slots = threading.BoundedSemaphore(self.slots)
        self._job_threads = _JobThreads(self.job_thread_nice)
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
            execution = self.prepare_execution(job)
        except Exception:  # Redis failed: the job stays in RQ's intermediate queue for its maintenance
            self.log.exception("Worker %s: could not record the execution of job %s", self.name, job.id)
            return
        self.perform_job(job, queue, execution)

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
