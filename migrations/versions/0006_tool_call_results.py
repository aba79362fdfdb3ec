"""Tool calls keep their round, status, result and duration; provider ids need not be unique

Revision ID: 0006_tool_call_results
Revises: 0005_attachment_text
Create Date: 2026-11-24 00:40:00

"""
import sqlalchemy as sa
from alembic import op


revision = "0006_tool_call_results"
down_revision = "0005_attachment_text"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tool_calls") as batch:
        batch.drop_constraint("uq_tool_calls_tool_call_id", type_="unique")
        batch.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="ok"))
        batch.add_column(sa.Column("result", sa.Text(), nullable=True))
        batch.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("tool_calls") as batch:
        batch.drop_column("duration_ms")
        batch.drop_column("result")
        batch.drop_column("status")
        batch.drop_column("round")
        batch.create_unique_constraint("uq_tool_calls_tool_call_id", ["tool_call_id"])
