"""The mail job: send one message someone asked for (``app/identity/mailing.py``)."""
from __future__ import annotations

from flask import current_app

from app.jobs.context import job_context
from app.platform import mail


def send_mail(to: str, subject: str, body: str) -> None:
    with job_context() as log:
        mail.send(current_app.config, to, subject, body)
        log.info("mailed %r to a recipient", subject)
