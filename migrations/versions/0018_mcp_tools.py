"""Tools from MCP servers: which servers an account has on, which tool groups a chat has
off, and the server of each stored tool call

Revision ID: 0018_mcp_tools
Revises: 0017_admins_and_account_models
Create Date: 2026-12-07 20:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0018_mcp_tools"
down_revision = "0017_admins_and_account_models"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("accounts", sa.Column("mcp_servers", sa.JSON(), nullable=True))
    op.add_column("chats", sa.Column("tools_off", sa.JSON(), nullable=True))
    op.add_column("tool_calls", sa.Column("server", sa.String(length=120), nullable=True))


def downgrade():
    for table, column in (("tool_calls", "server"), ("chats", "tools_off"), ("accounts", "mcp_servers")):
        op.drop_column(table, column)
