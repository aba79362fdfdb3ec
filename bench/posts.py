"""Posting benchmark: what one POST /chats/<id>/messages costs the web process, one JSON line per scenario.

    python -m bench.posts --posts 200 --at-once 1 8 200   # add --profile DIR for py-spy on the web process

It starts the real stack as ``bench/streams.py`` does, opens ``--posts`` new chats per
scenario and posts one message into each, ``--at-once`` of them in flight at a time,
over connections opened beforehand (as a browser would have). The worker processes are
stopped (SIGSTOP) while the posts are sent, so the web process's CPU is the posts' alone;
they are resumed afterwards and answer every message. The client is this process (asyncio
and aiohttp), not the web process: its CPU is reported apart.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

from bench.streams import PASSWORD, ProductionPacedStack, percentile, process_tree, py_spy, stop_profilers
from tests.support.stack import Member

PROMPT = "a short one [[chunks:3]]"


async def post_all(url: str, member: Member, chats: list[int], at_once: int) -> tuple[list[float], float]:
    """Post into every chat, ``at_once`` in flight; each post's latency (ms) and the wall time (s)."""
    cookie = "; ".join(f"{c.name}={c.value}" for c in member.http.cookies)
    headers = {"X-CSRFToken": member.csrf, "X-Requested-With": "fetch", "Accept": "application/json"}
    gate = asyncio.Semaphore(at_once)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers={"Cookie": cookie}) as http:
        async def connect(chat_id: int) -> None:
            async with http.get(f"{url}/chats/{chat_id}/messages?since_id=1000000000", headers=headers) as response:
                await response.read()

        async def post(chat_id: int) -> float:
            async with gate:
                started = time.perf_counter()
                async with http.post(f"{url}/chats/{chat_id}/messages", data={"content": PROMPT},
                                     headers=headers) as response:
                    await response.read()
                    if response.status != 202:
                        raise RuntimeError(f"post answered {response.status}")
                return (time.perf_counter() - started) * 1000

        await asyncio.gather(*(connect(chat_id) for chat_id in chats))
        started = time.perf_counter()
        latencies = await asyncio.gather(*(post(chat_id) for chat_id in chats))
        return list(latencies), time.perf_counter() - started


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def profile(processes: list[psutil.Process], directory: Path, label: str) -> list[subprocess.Popen]:
    """py-spy on ``processes`` (every sample: the web process is one thread), stacks to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    profilers = [py_spy(process.pid, directory / f"{label}-web-{process.pid}.txt", rate=500, gil=False)
                 for process in processes]
    time.sleep(1)
    return profilers


def run_scenario(stack: ProductionPacedStack, member: Member, posts: int, at_once: int,
                 profile_to: Path | None = None) -> dict:
    chats = [member.new_chat(f"posts {at_once}-{i}") for i in range(posts)]
    workers = process_tree(stack.worker_process.pid)
    web = [p for server in stack.web_servers for p in process_tree(server.pid)]
    me = [psutil.Process(os.getpid())]
    for process in workers:
        process.send_signal(signal.SIGSTOP)
    profilers = profile(web, profile_to, f"{posts}x{at_once}") if profile_to else []
    try:
        web_before, client_before = cpu_seconds(web), cpu_seconds(me)
        latencies, wall = asyncio.run(post_all(stack.web_url, member, chats, at_once))
        web_cpu, client_cpu = cpu_seconds(web) - web_before, cpu_seconds(me) - client_before
    finally:
        stop_profilers(profilers)
        for process in workers:
            process.send_signal(signal.SIGCONT)
    return {
        "scenario": f"{posts} posts, {at_once} at once, workers stopped",
        "posts": posts,
        "at_once": at_once,
        "wall_ms": round(wall * 1000, 1),
        "post_ms": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                    "max": round(max(latencies), 3)},
        "web_cpu_ms_per_post": round(web_cpu * 1000 / posts, 2),
        "client_cpu_seconds": round(client_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--at-once", type=int, nargs="+", default=[1, 8, 200])
    parser.add_argument("--profile", type=Path, help="record a py-spy profile of the web process during the posts here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="confab-bench-") as workdir:
        stack = ProductionPacedStack(Path(workdir), workers=1, streams_per_worker=256)
        try:
            stack.start()
            stack.flask("users", "create", "--email", "bench@example.com", "--name", "Bench", "--password", PASSWORD)
            member = Member(stack, "bench@example.com", PASSWORD)
            run_scenario(stack, member, 20, 1)  # warm-up: the web process's first requests
            for at_once in args.at_once:
                print(json.dumps(run_scenario(stack, member, args.posts, at_once, args.profile)), flush=True)
                time.sleep(2)  # the resumed worker answers the posts before the next scenario
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
