"""The worker's periodic clean-up, run by each worker process's supervisor (``app/engine/supervisor.py``)."""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask

from app.files import reading, storage
from app.platform.queue import enqueue_replies
from app.replies.sweeper import sweep as sweep_streams


def sweeper_for(app: Flask) -> Callable[[], None]:
    """A sweep for ``app``'s worker process: replies of workers that died are interrupted (and
    their chats' next questions re-queued), and documents whose reading never ended are given
    up (and their replies queued) at every call; unreferenced attachment files are
    removed at most once per ``storage.ORPHAN_AGE_SECONDS``."""
    files_swept_at = [0.0]

    def sweep() -> None:
        with app.app_context():
            result = sweep_streams()
            if result.interrupted or result.requeued:
                app.logger.warning("sweep: %s replies interrupted, %s chats re-queued",
                                   result.interrupted, result.requeued)
            if stuck := reading.give_up_stuck_readings():
                app.logger.warning("sweep: gave up reading documents in %s chats", len(stuck))
                for chat_id in stuck:
                    enqueue_replies(chat_id)
            if time.monotonic() - files_swept_at[0] > storage.ORPHAN_AGE_SECONDS:
                files_swept_at[0] = time.monotonic()
                if removed := storage.sweep():
                    app.logger.warning("sweep: removed %s unreferenced attachment files", removed)
    return sweep
