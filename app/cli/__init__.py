"""The ``flask`` command groups of SPEC §8."""
from flask import Flask

from app.cli.admin import accounts_cli, models_cli, tokens_cli, users_cli
from app.cli.mcp import mcp_cli
from app.cli.services import demo_llm_command, redis_cli, storage_cli, streams_cli


def register_cli(app: Flask) -> None:
    for command in (models_cli, users_cli, accounts_cli, tokens_cli, mcp_cli, demo_llm_command, redis_cli, streams_cli,
                    storage_cli):
        app.cli.add_command(command)
