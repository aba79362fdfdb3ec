"""The threads a worker process runs its jobs in: kept for the next job, and lowered below the
process's stream loop and relay."""
from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from queue import SimpleQueue


class JobThreads:
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
    are started before any job (``rq_worker.ConcurrentWorker.bootstrap``). Linux only, where a nice
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
