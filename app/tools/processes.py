"""Tools that compute run in processes of their own, which a hard timeout really ends.

A thread cannot be stopped: ``round(1, -10**7)`` once held the GIL in C for 11 s, and every
reply streaming in that worker process waited (issue 30). So a tool marked ``isolated``
(the calculator) runs in one of a few small child processes (``python -m
app.tools.processes``, which loads the tool and nothing of Flask, the database or the SDK).
Parent and child speak one JSON line each way per call. A child that overruns the call's
time limit is killed and the next call starts a fresh one; one that dies is replaced the
same way. Each worker process has its own children, started on first use.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import subprocess
import sys
import threading
import time

from app.tools.base import Tool, ToolError

CHILDREN = 2
ENVIRONMENT_KEPT = ("PATH", "LANG", "LC_ALL", "PYTHONPATH")  # nothing secret reaches a tool's process


class ToolTimeout(ToolError):
    """The tool overran its time limit; its process was killed."""


class _Child:
    def __init__(self) -> None:
        environment = {name: os.environ[name] for name in ENVIRONMENT_KEPT if name in os.environ}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.tools.processes"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=environment, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))

    def ask(self, request: dict, wait: float) -> dict | None:
        """Send one call and wait up to ``wait`` seconds for its answer; None when none came."""
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], wait)
        if not ready:
            return None
        line = self.process.stdout.readline()
        if not line:
            raise ToolError("The tool's process ended before it answered.")
        return json.loads(line)

    def end(self) -> None:
        self.process.kill()
        self.process.wait()
        with contextlib.suppress(OSError):  # a request still buffered for a dead child
            self.process.stdin.close()
        self.process.stdout.close()


class ToolProcesses:
    """At most ``size`` child processes, each running one call at a time; callers beyond that
    wait for one to be free."""

    def __init__(self, size: int = CHILDREN) -> None:
        self._places = threading.BoundedSemaphore(size)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._lock = threading.Lock()

    def pids(self) -> tuple[list[int], list[int]]:
        """The process ids of the children waiting for a call, and of those running one."""
        with self._lock:
            return [c.process.pid for c in self._idle], [c.process.pid for c in self._busy]

    def run(self, tool: Tool, arguments: dict, timeout: float) -> str:
        """The result of ``tool`` on ``arguments``, or :class:`ToolError` saying why not (its own
        error, a timeout, a process that died)."""
        deadline = time.monotonic() + timeout
        request = {"module": tool.run.__module__, "arguments": arguments}
        with self._places:
            child = self._take()
            try:
                answer = child.ask(request, max(0.0, deadline - time.monotonic()))
            except (ToolError, OSError, ValueError) as exc:
                self._forget(child)  # died or garbled: never reused
                if isinstance(exc, ToolError):
                    raise
                raise ToolError("The tool's process ended before it answered.") from None
            if answer is None:
                self._forget(child)
                raise ToolTimeout(f"The tool took longer than {timeout:g} s and was stopped.")
            self._give_back(child)
        if "error" in answer:
            raise ToolError(answer["error"])
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
            child = _Child()
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


_processes: dict[int, ToolProcesses] = {}
_creating = threading.Lock()


def tool_processes() -> ToolProcesses:
    """This process's tool processes (a forked worker process gets its own)."""
    with _creating:
        return _processes.setdefault(os.getpid(), ToolProcesses())


def serve() -> None:
    """The child's side: answer each call on stdin with one line on stdout. A call names the
    module of its tool, which defines it as ``TOOL``; only that module is loaded."""
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            module = request["module"]
            if not module.startswith("app.tools."):
                raise ToolError(f"{module} is not a tool.")
            tool = importlib.import_module(module).TOOL
            if not tool.isolated:
                raise ToolError(f"{tool.name} does not run in a process of its own.")
            answer = {"result": tool.run(request["arguments"], None)}
        except ToolError as exc:
            answer = {"error": str(exc)}
        except Exception as exc:  # a tool's own bug: the model hears of it
            answer = {"error": f"The tool failed: {type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
