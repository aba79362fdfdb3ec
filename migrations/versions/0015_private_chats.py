"""A chat can be private to its creator (until shared into its account)

Revision ID: 0015_private_chats
Revises: 0014_questions_as_written
Create Date: 2026-12-07 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0015_private_chats"
down_revision = "0014_questions_as_written"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite takes one with a constant default): no copy of the table.
    op.add_column("chats", sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_column("chats", "private")  # SQLite 3.35+ drops a column in place, as PostgreSQL does
