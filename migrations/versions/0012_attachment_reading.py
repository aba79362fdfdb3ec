"""Attachments say whether their document has been read: a PDF is read by a job after upload

``read_state`` is ``reading``, ``read``, ``partial`` or ``unreadable`` for PDFs (None for other
files), and ``read_note`` says what a partial or failed read left out. PDFs stored before
this were read during their upload, in full.

Revision ID: 0012_attachment_reading
Revises: 0011_stored_message_html
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0012_attachment_reading"
down_revision = "0011_stored_message_html"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("read_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("read_note", sa.Text(), nullable=True))
        batch.create_index(batch.f("ix_attachments_read_state"), ["read_state"], unique=False)
    op.execute("UPDATE attachments SET read_state = 'read' WHERE content_type = 'application/pdf'")


def downgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.drop_index(batch.f("ix_attachments_read_state"))
        batch.drop_column("read_note")
        batch.drop_column("read_state")
