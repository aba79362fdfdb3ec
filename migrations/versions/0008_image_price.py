"""Image models carry a price per image

Revision ID: 0008_image_price
Revises: 0007_message_search
Create Date: 2026-11-24 01:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0008_image_price"
down_revision = "0007_message_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("llm_models") as batch:
        batch.add_column(sa.Column("image_price", sa.Numeric(precision=12, scale=6), nullable=True))


def downgrade():
    with op.batch_alter_table("llm_models") as batch:
        batch.drop_column("image_price")
