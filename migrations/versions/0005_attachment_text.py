"""Attachments keep the text extracted from a PDF and its page count

Revision ID: 0005_attachment_text
Revises: 0004_reply_to_index
Create Date: 2026-11-24 00:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0005_attachment_text"
down_revision = "0004_reply_to_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("extracted_text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("page_count", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_attachments_storage_key"), ["storage_key"], unique=False)


def downgrade():
    with op.batch_alter_table("attachments") as batch:
        batch.drop_index(batch.f("ix_attachments_storage_key"))
        batch.drop_column("page_count")
        batch.drop_column("extracted_text")
