"""Work that may take too long runs in processes of its own, which a hard timeout really ends.

A thread cannot be stopped: ``round(1, -10**7)`` once held the GIL in C for 11 s, and every
reply streaming in that worker process waited; Markdown of 100,000 pathological characters
takes two seconds to render (issue 30). So such a call (a tool marked ``isolated``, a long
message's Markdown) runs in one of a few small child processes (``python -m
app.platform.isolated``, which loads the called function's module and nothing of Flask, the
database or the SDK). Parent and child speak one JSON line each way per call. A child that
overruns the call's time limit is killed and the next call starts a fresh one; one that dies
is replaced the same way. Each process has its own children, started on first use, in
pools by purpose: ``calls`` (tools, long replies' Markdown) and ``documents`` (reading PDFs,
which may take the whole of their limit). Their children run at a lower CPU priority than
the web and worker processes, documents lowest, so that neither slows the pages or the
streams beside them: at nice 5 and 10, an attacker's Markdown took a whole core beside two
PDF readers and the web process, and another member's stream paused for up to 0.6 s; at 15
and 19 the availability test's longest gap was 165-492 ms in three runs. (Niceness adds to
the starting thread's: a pool started from a worker's job thread runs lower still.)
"""
from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import subprocess
import sys
import threading
import time

POOLS = {"calls": (2, 15), "documents": (2, 19)}  # pool: (children, niceness)
PIPE_CHUNK = 1 << 20
ENVIRONMENT_KEPT = ("PATH", "LANG", "LC_ALL", "PYTHONPATH")  # nothing secret reaches a child


class IsolatedError(Exception):
    """The call did not answer: ``kind`` is the name of the exception it raised, or
    ``Timeout`` (its process was killed) or ``Died`` (its process ended before it answered)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def _died() -> IsolatedError:
    return IsolatedError("Died", "The process ended before it answered.")


class _Child:
    def __init__(self, nice: int) -> None:
        environment = {name: os.environ[name] for name in ENVIRONMENT_KEPT if name in os.environ}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.platform.isolated", str(nice)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=environment, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))

    def ask(self, request: dict, wait: float) -> dict | None:
        """Send one call and wait up to ``wait`` seconds for its answer; None when none came.

        The pipes are read and written through their file descriptors, a megabyte at a time:
        under eventlet the pipe objects read a few kilobytes per wake-up, and a 350 KB answer
        cost the web process seconds of CPU."""
        deadline = time.monotonic() + wait
        if not self._send(json.dumps(request).encode() + b"\n", deadline):
            return None
        answer = bytearray()
        while not answer.endswith(b"\n"):
            if not self._ready(self.process.stdout, deadline, read=True):
                return None
            try:
                chunk = os.read(self.process.stdout.fileno(), PIPE_CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                raise _died()
            answer += chunk
        return json.loads(answer)

    def _send(self, data: bytes, deadline: float) -> bool:
        """Write ``data`` to the child before ``deadline``; False when it would not take it in time."""
        view = memoryview(data)
        while view:
            if not self._ready(self.process.stdin, deadline, read=False):
                return False
            try:
                view = view[os.write(self.process.stdin.fileno(), view):]
            except BlockingIOError:
                continue
        return True

    @staticmethod
    def _ready(pipe, deadline: float, *, read: bool) -> bool:
        wait = max(0.0, deadline - time.monotonic())
        readable, writable, _ = select.select([pipe] if read else [], [] if read else [pipe], [], wait)
        return bool(readable or writable)

    def end(self) -> None:
        self.process.kill()
        self.process.wait()
        with contextlib.suppress(OSError):  # a request still buffered for a dead child
            self.process.stdin.close()
        self.process.stdout.close()


class IsolatedCalls:
    """At most ``size`` child processes, each running one call at a time; callers beyond that
    wait for one to be free."""

    def __init__(self, size: int, nice: int = 0) -> None:
        self._nice = nice
        self._places = threading.BoundedSemaphore(size)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._lock = threading.Lock()

    def pids(self) -> tuple[list[int], list[int]]:
        """The process ids of the children waiting for a call, and of those running one."""
        with self._lock:
            return [c.process.pid for c in self._idle], [c.process.pid for c in self._busy]

    def run(self, function: str, arguments: list, timeout: float):
        """``function`` (``module:name``, a module of the app) called with ``arguments`` (JSON),
        its result (JSON); :class:`IsolatedError` saying why not."""
        deadline = time.monotonic() + timeout
        request = {"function": function, "arguments": arguments}
        with self._places:
            child = self._take()
            try:
                answer = child.ask(request, max(0.0, deadline - time.monotonic()))
            except (IsolatedError, OSError, ValueError) as exc:
                self._forget(child)  # died or garbled: never reused
                raise exc if isinstance(exc, IsolatedError) else _died() from None
            if answer is None:
                self._forget(child)
                raise IsolatedError("Timeout", f"It took longer than {timeout:g} s and was stopped.")
            self._give_back(child)
        if "error" in answer:
            raise IsolatedError(answer["error"]["kind"], answer["error"]["message"])
        return answer["result"]

    def close(self) -> None:
        with self._lock:
            children, self._idle = self._idle, []
        for child in children:
            child.end()

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.process.poll() is None:
                    self._busy.add(child)
                    return child
                child.end()
            child = _Child(self._nice)
            self._busy.add(child)
            return child

    def _give_back(self, child: _Child) -> None:
        with self._lock:
            self._busy.discard(child)
            self._idle.append(child)

    def _forget(self, child: _Child) -> None:
        with self._lock:
            self._busy.discard(child)
        child.end()


_calls: dict[tuple[int, str], IsolatedCalls] = {}
_creating = threading.Lock()


def isolated_calls(pool: str = "calls") -> IsolatedCalls:
    """This process's children of ``pool`` (a forked worker process gets its own)."""
    with _creating:
        key = (os.getpid(), pool)
        if key not in _calls:
            _calls[key] = IsolatedCalls(*POOLS[pool])
        return _calls[key]


@atexit.register
def _end_children() -> None:
    """A process that exits ends its children (they would end at their stdin's EOF anyway)."""
    for (pid, _), calls in list(_calls.items()):
        if pid == os.getpid():
            calls.close()


def serve(nice: int = 0) -> None:
    """The child's side: answer each call on stdin with one line on stdout. Only the called
    function's module is loaded."""
    if nice:
        os.nice(nice)
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            module, _, name = request["function"].partition(":")
            if not module.startswith("app."):
                raise ValueError(f"{module} is not a module of the app.")
            answer = {"result": getattr(importlib.import_module(module), name)(*request["arguments"])}
        except Exception as exc:  # the caller decides what the model or the reader hears of it
            answer = {"error": {"kind": type(exc).__name__, "message": str(exc)}}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
