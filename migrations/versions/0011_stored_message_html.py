"""Messages keep their rendered HTML: rendered once when finished, never on a page view

Revision ID: 0011_stored_message_html
Revises: 0010_sqlite_finished_search
Create Date: 2026-12-07 04:10:00

Every finished message is rendered now, in batches, with the app's own renderer and its time
limit (``app/conversations/rendering.py`` ``stored_html``): what takes too long is stored as
plain text with a note, as new messages are.
"""
import sqlalchemy as sa
from alembic import op

from app.conversations.rendering import stored_html

revision = "0011_stored_message_html"
down_revision = "0010_sqlite_finished_search"
branch_labels = None
depends_on = None

BATCH = 500
UNFINISHED = ("pending", "streaming")


def upgrade():
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("html", sa.Text(), nullable=True))
    messages = sa.table("messages", sa.column("id", sa.Integer), sa.column("content", sa.Text),
                        sa.column("status", sa.String), sa.column("html", sa.Text))
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(messages.c.id, messages.c.content)
            .where(messages.c.id > after, messages.c.status.not_in(UNFINISHED))
            .order_by(messages.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(sa.update(messages).where(messages.c.id == sa.bindparam("message_id"))
                           .values(html=sa.bindparam("rendered")),
                           [{"message_id": row.id, "rendered": stored_html(row.content)} for row in rows])
        after = rows[-1].id


def downgrade():
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("html")
