"""Invitations (nobody joins an account without accepting), password-reset links, and the
account each user last worked in

Revision ID: 0013_invitations
Revises: 0012_attachment_reading
Create Date: 2026-12-07 06:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0013_invitations"
down_revision = "0012_attachment_reading"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("inviter_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
    )
    op.create_index("ix_invitations_account_id", "invitations", ["account_id"])
    op.create_index("ix_invitations_email", "invitations", ["email"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_users_last_account_id", "accounts", ["last_account_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("fk_users_last_account_id", type_="foreignkey")
        batch.drop_column("last_account_id")
    op.drop_table("password_resets")
    op.drop_table("invitations")
