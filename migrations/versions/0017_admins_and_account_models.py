"""Instance administrators, providers added in the browser (keys encrypted), model overrides,
and the models each account offers

Revision ID: 0017_admins_and_account_models
Revises: 0016_model_catalog
Create Date: 2026-12-07 17:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0017_admins_and_account_models"
down_revision = "0016_model_catalog"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (SQLite takes them in place, constant defaults only).
    op.add_column("users", sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("accounts", sa.Column("offered_models", sa.JSON(), nullable=True))
    op.add_column("accounts", sa.Column("default_model_id", sa.String(length=120), nullable=True))
    op.add_column("llm_providers", sa.Column("name", sa.String(length=120), nullable=True))
    op.add_column("llm_providers", sa.Column("api_key_encrypted", sa.Text(), nullable=True))
    op.add_column("llm_providers", sa.Column("added_by_admin", sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.add_column("llm_providers", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("llm_models", sa.Column("overrides", sa.JSON(), nullable=True))
    # The first user of an instance runs it.
    op.execute("UPDATE users SET is_admin = true WHERE id = (SELECT min(id) FROM users)")


def downgrade():
    for table, column in (("llm_models", "overrides"), ("llm_providers", "removed_at"),
                          ("llm_providers", "added_by_admin"), ("llm_providers", "api_key_encrypted"),
                          ("llm_providers", "name"), ("accounts", "default_model_id"),
                          ("accounts", "offered_models"), ("users", "is_admin")):
        op.drop_column(table, column)
