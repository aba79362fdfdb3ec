"""The reading job: read the documents a message carries, then queue its chat's reply (SPEC §6)."""
from __future__ import annotations

from app.files import reading
from app.jobs.context import job_context


def read_documents(message_id: int) -> int:
    with job_context():
        return reading.read_message_documents(message_id)
