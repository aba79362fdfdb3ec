"""The worker's periodic clean-up, run by each worker process's supervisor (``app/engine/supervisor.py``)."""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask

from app.files import storage
from app.replies.sweeper import sweep as sweep_streams


def sweeper_for(app: Flask) -> Callable[[], None]:
    """A sweep for ``app``'s worker process: replies of workers that died are interrupted (and
    their chats' next questions re-queued) at every call; unreferenced attachment files are
    removed at most once per ``storage.ORPHAN_AGE_SECONDS``."""
    files_swept_at = [0.0]

    def sweep() -> None:
        with app.app_context():
            result = sweep_streams()
            if result.interrupted or result.requeued:
                app.logger.warning("sweep: %s replies interrupted, %s chats re-queued",
                                   result.interrupted, result.requeued)
            if time.monotonic() - files_swept_at[0] > storage.ORPHAN_AGE_SECONDS:
                files_swept_at[0] = time.monotonic()
                if removed := storage.sweep():
                    app.logger.warning("sweep: removed %s unreferenced attachment files", removed)
    return sweep
