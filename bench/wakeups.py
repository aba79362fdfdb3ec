"""What waking another process costs on this machine now: the floor under one reply's added latency.

    REDIS_URL=redis://127.0.0.1:6379/1 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        python -m bench.wakeups

At one reply a chunk arrives every 10 ms, and between chunks every process on its way sleeps:
the demo LLM, the worker's stream loop and its relay thread, Redis, the web process, the client.
Each hop then pays for waking the next process, besides the work it does. This prints one JSON
line: a round trip between two processes over a socket pair (no server of ours) pinned to the
same CPU and to different ones, to Redis (a PING) and to PostgreSQL (``SELECT 1``, when
``DATABASE_URL`` names one), each back to back and after 10 ms asleep, medians and p90 in
milliseconds over ``--rounds``. On a virtual machine whose idle CPUs halt, waking a process
on the other CPU is the dear part. Also says which idle driver the kernel uses.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import psycopg2
import redis

from bench.streams import machine_speed_ms, percentile

CHUNK_GAP_SECONDS = 0.010  # the benchmark's provider pace


def _echo(sock: socket.socket, cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})
    while data := sock.recv(64):
        sock.sendall(data)


def process_pair(rounds: int, cpus: tuple[int, int]) -> dict:
    """Round trips between this process on ``cpus[0]`` and an echoing one on ``cpus[1]``."""
    ours, theirs = socket.socketpair()
    echo = multiprocessing.get_context("fork").Process(target=_echo, args=(theirs, cpus[1]), daemon=True)
    echo.start()
    theirs.close()
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpus[0]})
    try:
        def round_trip() -> None:
            ours.sendall(b"x")
            ours.recv(64)
        return both(round_trip, rounds)
    finally:
        os.sched_setaffinity(0, allowed)
        ours.close()
        echo.join(timeout=5)


def idle_driver() -> str:
    try:
        return Path("/sys/devices/system/cpu/cpuidle/current_driver").read_text().strip()
    except OSError:
        return "unknown"


def timed(round_trip: Callable[[], None], rounds: int, gap: float) -> dict:
    """Median and p90 (ms) of ``round_trip``, with ``gap`` seconds asleep before each."""
    times = []
    for _ in range(rounds):
        if gap:
            time.sleep(gap)
        started = time.perf_counter()
        round_trip()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(times, 0.5), "p90": percentile(times, 0.9)}


def both(round_trip: Callable[[], None], rounds: int) -> dict:
    return {"back_to_back": timed(round_trip, rounds, 0),
            "after_10ms_asleep": timed(round_trip, rounds, CHUNK_GAP_SECONDS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    result: dict = {"scenario": "round trips, back to back and after 10 ms asleep (ms)", "rounds": args.rounds,
                    "machine_speed_ms": machine_speed_ms(), "cpuidle_driver": idle_driver(),
                    "process_pair_same_cpu": process_pair(args.rounds, (cpus[0], cpus[0]))}
    if len(cpus) > 1:
        result["process_pair_other_cpu"] = process_pair(args.rounds, (cpus[0], cpus[1]))
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    result["redis_ping"] = both(client.ping, args.rounds)
    if (url := os.environ.get("DATABASE_URL", "")).startswith("postgresql"):
        connection = psycopg2.connect(url)
        connection.autocommit = True
        cursor = connection.cursor()

        def select_one() -> None:
            cursor.execute("SELECT 1")
            cursor.fetchall()
        result["postgresql_select_1"] = both(select_one, args.rounds)
        connection.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
