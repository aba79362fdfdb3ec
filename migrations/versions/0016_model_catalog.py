"""The model catalog: models listed by their providers, where each figure came from

Revision ID: 0016_model_catalog
Revises: 0015_private_chats
Create Date: 2026-12-07 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0016_model_catalog"
down_revision = "0015_private_chats"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("llm_providers") as batch:
        batch.add_column(sa.Column("enable", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("refresh_error", sa.String(length=500), nullable=True))
    with op.batch_alter_table("llm_models") as batch:
        batch.add_column(sa.Column("api_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("price_source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("limits_source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("input_price", existing_type=sa.Numeric(precision=12, scale=6), nullable=True)
        batch.alter_column("output_price", existing_type=sa.Numeric(precision=12, scale=6), nullable=True)
    op.execute("UPDATE llm_models SET price_source = 'file', limits_source = 'file'")


def downgrade():
    op.execute("UPDATE llm_models SET input_price = 0 WHERE input_price IS NULL")
    op.execute("UPDATE llm_models SET output_price = 0 WHERE output_price IS NULL")
    with op.batch_alter_table("llm_models") as batch:
        batch.alter_column("output_price", existing_type=sa.Numeric(precision=12, scale=6), nullable=False)
        batch.alter_column("input_price", existing_type=sa.Numeric(precision=12, scale=6), nullable=False)
        for column in ("refreshed_at", "limits_source", "price_source", "available", "api_id"):
            batch.drop_column(column)
    with op.batch_alter_table("llm_providers") as batch:
        for column in ("refresh_error", "refreshed_at", "enable"):
            batch.drop_column(column)
