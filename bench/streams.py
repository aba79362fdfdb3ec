"""Relay benchmark (SPEC §11): the real stack, N chats answered at once, JSON per scenario.

    python -m bench.streams --streams 1 4 16 --chunks 200 --workers 16

Each scenario posts one message into each of N chats at the same instant; the demo
LLM stamps every content chunk with its send time, so for every delta the client
sees we know the added latency (provider sent -> Socket.IO client received) and,
per stream, the time from posting to the first delta. It also checks every stream
for lost, duplicated or reordered deltas and reports worker memory (PSS). A warm-up
scenario first gives every worker its first job and is reported on its own line.
The clients run in this process, on the same two cores as the system under test.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil

from tests.support.stack import Member, Stack

STAMP = re.compile(r"<(\d+\.\d+)>")
PASSWORD = "correct horse battery"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def worker_pss_mb(stack: Stack) -> float:
    """Proportional set size of the worker pool: shared pages split among the processes
    sharing them, so forked workers are not counted many times over (RSS would be)."""
    parent = psutil.Process(stack.worker_process.pid)
    total = 0
    for process in [parent, *parent.children(recursive=True)]:
        try:
            total += process.memory_full_info().pss
        except psutil.NoSuchProcess:
            continue
    return total / 1e6


def run_scenario(stack: Stack, member: Member, streams: int, chunks: int, slow_ms: int) -> dict:
    chats = [member.new_chat(f"bench {streams}-{i}") for i in range(streams)]
    listeners = [member.socket() for _ in chats]
    for listener, chat_id in zip(listeners, chats):
        assert listener.join(chat_id)["ok"]
    barrier = threading.Barrier(streams)
    posted: dict[int, tuple[int, float]] = {}

    def post(index: int, chat_id: int) -> None:
        barrier.wait()
        started = time.time()
        reply = member.say(chat_id, f"bench [[stamp]] [[chunks:{chunks}]] [[slow:{slow_ms}]]")
        posted[index] = (reply["assistant_message"]["id"], started)

    threads = [threading.Thread(target=post, args=(i, c)) for i, c in enumerate(chats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    peak_pss = 0.0
    deadline = time.monotonic() + 120 + chunks * slow_ms / 1000
    for index, listener in enumerate(listeners):
        reply_id = posted[index][0]
        while time.monotonic() < deadline:
            peak_pss = max(peak_pss, worker_pss_mb(stack))
            if any(n == "message.completed" and d["message_id"] == reply_id for n, d in list(listener.events)):
                break
            time.sleep(0.05)
    latencies, first_delta, lost, duplicated, reordered, completed = [], [], 0, 0, 0, 0
    for index, listener in enumerate(listeners):
        reply_id, started = posted[index]
        arrivals = [(wall, d) for wall, (n, d) in zip(listener.wall_times, listener.events)
                    if n == "message.delta" and d["message_id"] == reply_id]
        seqs = [d["seq"] for _, d in arrivals]
        duplicated += len(seqs) - len(set(seqs))
        reordered += sum(1 for a, b in zip(seqs, seqs[1:]) if b < a)
        lost += chunks - len(set(seqs))
        completed += any(n == "message.completed" and d["message_id"] == reply_id for n, d in listener.events)
        for received, delta in arrivals:
            sent = STAMP.search(delta["text"])
            if sent:
                latencies.append((received - float(sent.group(1))) * 1000)
        if arrivals:
            first_delta.append((arrivals[0][0] - started) * 1000)
    for listener in listeners:
        listener.close()
    return {
        "scenario": f"{streams} concurrent streams",
        "streams": streams,
        "chunks_per_stream": chunks,
        "chunk_interval_ms": slow_ms,
        "workers": stack.workers,
        "completed": completed,
        "lost": lost,
        "duplicated": duplicated,
        "reordered": reordered,
        "delta_added_latency_ms": {"p50": round(percentile(latencies, .5), 3), "p99": round(percentile(latencies, .99), 3),
                                   "max": round(max(latencies), 3) if latencies else None, "samples": len(latencies)},
        "time_to_first_delta_ms": {"p50": round(percentile(first_delta, .5), 1), "p99": round(percentile(first_delta, .99), 1),
                                   "mean": round(statistics.fmean(first_delta), 1) if first_delta else None},
        "worker_pool_peak_pss_mb": round(peak_pss, 1),
        "worker_pss_mb_per_worker": round(peak_pss / stack.workers, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--slow-ms", type=int, default=10, help="gap between provider chunks")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="confab-bench-") as workdir:
        stack = Stack(Path(workdir), workers=args.workers)
        try:
            stack.start()
            stack.flask("users", "create", "--email", "bench@example.com", "--name", "Bench", "--password", PASSWORD)
            member = Member(stack, "bench@example.com", PASSWORD)
            warm = run_scenario(stack, member, args.workers, 5, 0)
            warm["scenario"] = "warm-up: first job of every worker (cold caches and connections)"
            print(json.dumps(warm), flush=True)
            for streams in args.streams:
                print(json.dumps(run_scenario(stack, member, streams, args.chunks, args.slow_ms)), flush=True)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
