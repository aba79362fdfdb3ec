"""A real SMTP server for tests (aiosmtpd, on a free local port) that keeps what it is sent,
and the mail jobs a test queued, run as the worker would run them."""
from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from flask import Flask

from app.jobs.context import set_job_app
from app.platform.queue import queue
from tests.support.processes import free_port

MAIL_JOB = "app.jobs.mail.send_mail"


class Mailbox:
    """What the SMTP server was sent: each message with the recipients of its envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def start_mailbox() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox


def run_mail_jobs(app: Flask) -> int:
    """Run the mail jobs waiting in the queue (in this process, through RQ's job); how many ran.
    A job that fails raises here."""
    jobs = [job for job in queue().get_jobs() if job.func_name == MAIL_JOB]
    set_job_app(app)
    try:
        for job in jobs:
            job.perform()
            queue().remove(job)
    finally:
        set_job_app(None)
    return len(jobs)
