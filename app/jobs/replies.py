"""The reply job: answer a chat's pending messages (SPEC §4)."""
from __future__ import annotations

from app.jobs.context import job_context
from app.replies import workflow


def answer_pending_messages(chat_id: int) -> int:
    with job_context() as log:
        return workflow.answer_pending_messages(chat_id, log)
