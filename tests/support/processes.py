"""Starting Confab's real processes for tests: demo LLM, web, workers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as handle:
        return subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **env}, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )


def start_demo_llm(log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = start([sys.executable, "-m", "flask", "demo-llm", "--port", str(port)],
                    {"FLASK_APP": "app:create_app", "REDIS_URL": "fakeredis://"}, log_dir / "demo-llm.log")
    base = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base}/_demo/health", process=process)
    return process, base


def stop(process: subprocess.Popen) -> None:
    """Stop the process and everything it started (its session's process group),
    so no worker outlives the test run and takes jobs from the next one."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(process.pid):
            break
        time.sleep(0.2)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
