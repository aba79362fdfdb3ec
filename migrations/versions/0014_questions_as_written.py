"""A person's own messages are shown as they typed them, not read as Markdown

Until now a question's stored HTML was its Markdown rendered (``2**10 + sqrt(16)`` turned
bold); it is now the text escaped, spaces and line breaks kept (``app/conversations/
rendering.py`` ``as_written``). The downgrade renders them as Markdown again, as 0011 did.

Revision ID: 0014_questions_as_written
Revises: 0013_invitations
Create Date: 2026-12-07 07:10:00

"""
import sqlalchemy as sa
from alembic import op

from app.conversations.rendering import as_written, stored_html

revision = "0014_questions_as_written"
down_revision = "0013_invitations"
branch_labels = None
depends_on = None

BATCH = 500


def _store_questions_with(render) -> None:
    messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("content", sa.Text),
                        sa.column("role", sa.String), sa.column("html", sa.Text))
    connection = op.get_bind()
    after = 0
    while rows := connection.execute(
            sa.select(messages.c.id, messages.c.content).where(messages.c.id > after, messages.c.role == "user")
            .order_by(messages.c.id).limit(BATCH)).all():
        connection.execute(sa.update(messages).where(messages.c.id == sa.bindparam("message_id"))
                           .values(html=sa.bindparam("rendered")),
                           [{"message_id": row.id, "rendered": render(row.content)} for row in rows])
        after = rows[-1].id


def upgrade():
    _store_questions_with(as_written)


def downgrade():
    _store_questions_with(stored_html)
