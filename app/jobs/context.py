"""The app a job runs in: the worker's, created once by ``worker.py`` before forking."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from rq import get_current_job

from app.extensions import db
from app.platform.db_pool import forget_autocommit_engine

_app: Flask | None = None
_fork_lock = threading.Lock()


def set_job_app(app: Flask) -> None:
    global _app
    _app = app


def job_app() -> Flask:
    if _app is None:
        raise RuntimeError("No app for jobs: start workers with worker.py, which builds it before taking jobs.")
    return _app


class JobLog(logging.LoggerAdapter):
    """Prefixes every log line with the RQ job id."""

    def process(self, msg, kwargs):
        return f"[job {self.extra['job_id']}] {msg}", kwargs


def forget_inherited_connections(app: Flask) -> None:
    """In a process forked from the one that built the app, drop the inherited database
    connection pool (a connection shared across a fork corrupts both sides); a no-op in the
    process that built it. Call it, inside an app context, before any database work."""
    with _fork_lock:
        if os.getpid() != app.extensions["confab.pid"]:
            db.engine.dispose(close=False)
            forget_autocommit_engine(app)
            app.extensions["confab.pid"] = os.getpid()


@contextmanager
def job_context() -> Iterator[JobLog]:
    """An app context for one job, on this process's own connections (warm after the first job)."""
    app = job_app()
    with app.app_context():
        forget_inherited_connections(app)
        job = get_current_job()
        try:
            yield JobLog(app.logger, {"job_id": job.id if job else "-"})
        finally:
            db.session.remove()
