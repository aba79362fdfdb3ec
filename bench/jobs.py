"""What RQ's bookkeeping costs the concurrent worker per job, one JSON line per run.

    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python -m bench.jobs --jobs 2000 --runs 3

Enqueues ``--jobs`` jobs that do nothing on a queue of their own, then lets one
:class:`~app.engine.rq_worker.ConcurrentWorker` (``--slots`` at once, in this process)
run them all in burst mode. Reports the worker's CPU per job (this process's CPU while it
works: its dequeue loop and job threads), the wall time per job, the worker's Redis round
trips per job and the Redis commands per job (the server's own count, so run it on a
Redis nothing else is using). A reply's
job costs the same bookkeeping plus its reply, so this is the part of a reply's worker
CPU that RQ's records take, measured apart from the machine's other load.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

import redis
from rq import Queue

from app.engine.rq_worker import ConcurrentWorker


def nothing() -> None:
    """The benchmark's job."""


def commands_processed(connection: redis.Redis) -> int:
    return sum(stats["calls"] for stats in connection.info("commandstats").values())


class RoundTrips:
    """Counts what this process sends to Redis: one packed send per round trip (a pipeline's
    commands go out together)."""

    def __init__(self) -> None:
        self.count = 0
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection, command, check_health=True):
            self.count += 1
            return send(connection, command, check_health)
        redis.connection.AbstractConnection.send_packed_command = counted


def run(connection: redis.Redis, jobs: int, slots: int, round_trips: RoundTrips) -> dict:
    queue = Queue(f"bench-jobs-{uuid.uuid4().hex[:8]}", connection=connection)
    with connection.pipeline() as pipeline:
        for _ in range(jobs):
            queue.enqueue("bench.jobs.nothing", pipeline=pipeline, result_ttl=60)
        pipeline.execute()
    worker = ConcurrentWorker.configured(slots)([queue], connection=connection)
    commands, cpu, wall = commands_processed(connection), time.process_time(), time.perf_counter()
    sent = round_trips.count
    worker.work(burst=True, logging_level="WARNING")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    sent = round_trips.count - sent
    commands = commands_processed(connection) - commands
    finished = queue.finished_job_registry.count
    return {"jobs": jobs, "slots": slots, "finished": finished, "worker_cpu_ms_per_job": round(cpu / jobs * 1000, 3),
            "wall_ms_per_job": round(wall / jobs * 1000, 3), "redis_round_trips_per_job": round(sent / jobs, 2),
            "redis_commands_per_job": round(commands / jobs, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("REDIS_URL")
    if not url:
        sys.exit("set REDIS_URL to a Redis server of its own (the Redis commands are the server's count)")
    connection, round_trips = redis.Redis.from_url(url), RoundTrips()
    for _ in range(args.runs):
        print(json.dumps(run(connection, args.jobs, args.slots, round_trips)), flush=True)


if __name__ == "__main__":
    main()
