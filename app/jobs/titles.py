"""The title job: name a chat after its first exchange."""
from __future__ import annotations

from app.jobs.context import job_context
from app.replies import titles


def generate_title(chat_id: int) -> str | None:
    with job_context() as log:
        return titles.generate_title(chat_id, log)
