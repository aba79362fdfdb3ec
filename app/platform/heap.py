"""How Confab's long-running processes (web and workers) use Python's cycle collector.

At 200 streaming replies the web process spent about 0.4 of its 2 CPU seconds collecting,
and each full collection paused every socket for up to 120 ms; the worker collected its
young objects 110 times a run, pausing every stream for up to 30 ms (README, "Streaming
engine"). So once a process has loaded everything it keeps for life (the app, the
libraries, the SDK):

- that is frozen: the collector never walks it again (and a worker pool's forks share
  those pages instead of copying them as the collector touches them);
- the young generation is collected after 10,000 net new container objects, not 700: a
  busy process makes thousands of short-lived objects per request or chunk, and reference
  counting frees nearly all of them anyway.
"""
from __future__ import annotations

import gc

THRESHOLDS = (10_000, 20, 20)


def settle() -> None:
    """Call once the process has loaded what it keeps for life, before it serves or forks."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
