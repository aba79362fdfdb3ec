"""The app a job runs in: the worker's, created once before forking, or built on first use."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from rq import get_current_job

from app.extensions import db

_app: Flask | None = None


def set_job_app(app: Flask) -> None:
    global _app
    _app = app


def job_app() -> Flask:
    global _app
    if _app is None:
        from app import create_app

        _app = create_app(role="worker")
    return _app


class JobLog(logging.LoggerAdapter):
    """Prefixes every log line with the RQ job id."""

    def process(self, msg, kwargs):
        return f"[job {self.extra['job_id']}] {msg}", kwargs


@contextmanager
def job_context() -> Iterator[JobLog]:
    """An app context for one job. The first job in a process forked from the one that
    built the app drops the inherited connection pool (never share a connection across a
    fork); later jobs in the same process keep their warm connections."""
    app = job_app()
    with app.app_context():
        if os.getpid() != app.extensions["confab.pid"]:
            db.engine.dispose(close=False)
            app.extensions["confab.pid"] = os.getpid()
        job = get_current_job()
        try:
            yield JobLog(app.logger, {"job_id": job.id if job else "-"})
        finally:
            db.session.remove()
