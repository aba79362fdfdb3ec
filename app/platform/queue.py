"""Putting work on the RQ queue: each job in one Redis round trip (RQ alone takes two, the
first only to list the queue among RQ's queues), or in the caller's round trip when it
passes its pipeline (a post sends its ``message.created`` events and its reply's job in one)."""
from __future__ import annotations

from flask import current_app
from redis.client import Pipeline
from rq import Queue

from app.platform.redis_client import get_redis

REPLY_JOB_TIMEOUT = 3600
READING_JOB_TIMEOUT = 900  # ten PDFs at their limit, and a wait for a reading process


def queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())


def _enqueue(function: str, *args, pipeline: Pipeline | None = None, **options) -> None:
    """Enqueue in ``pipeline`` (sent when its caller executes it), or in a round trip of its own."""
    if pipeline is not None:
        queue().enqueue(function, *args, pipeline=pipeline, **options)
        return
    with get_redis().pipeline() as pipe:
        queue().enqueue(function, *args, pipeline=pipe, **options)
        pipe.execute()


def enqueue_replies(chat_id: int, pipeline: Pipeline | None = None) -> None:
    """Ask a worker to answer the chat's pending messages, in order."""
    _enqueue("app.jobs.replies.answer_pending_messages", chat_id, pipeline=pipeline,
             job_timeout=REPLY_JOB_TIMEOUT, result_ttl=60, failure_ttl=86400, description=f"answer chat {chat_id}")


def enqueue_reading(message_id: int, pipeline: Pipeline | None = None) -> None:
    """Ask a worker to read the documents of a message (its reply is queued once they are read)."""
    _enqueue("app.jobs.documents.read_documents", message_id, pipeline=pipeline,
             job_timeout=READING_JOB_TIMEOUT, result_ttl=60, failure_ttl=86400,
             description=f"read the documents of message {message_id}")


def enqueue_title(chat_id: int) -> None:
    _enqueue("app.jobs.titles.generate_title", chat_id,
             job_timeout=120, result_ttl=60, failure_ttl=86400, description=f"title chat {chat_id}")


def enqueue_mail(to: str, subject: str, body: str) -> None:
    """Ask a worker to send an email. The body holds a secret link: the job is deleted once it
    has run, and a failed one is kept an hour (the life of a reset link), not a day."""
    _enqueue("app.jobs.mail.send_mail", to, subject, body,
             job_timeout=120, result_ttl=0, failure_ttl=3600, description="send an email")
