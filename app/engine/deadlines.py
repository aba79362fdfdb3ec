"""Deadlines for the threads of a process, kept by one watchdog thread: RQ's alarm-signal time
limit serves only the main thread, and its timer penalty starts a thread per job."""
from __future__ import annotations

import ctypes
import heapq
import itertools
import os
import threading
import time


class Watchdog:
    """One thread per process that raises the given exception in each watched thread past its deadline."""

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
