"""Several hosts on one machine, for the multi-host test (issue 34): network namespaces joined
by veth pairs to a bridge in a namespace of its own, so every address lives inside them.

- ``data`` runs a PostgreSQL cluster of its own (``initdb``/``pg_ctl``, as the ``postgres``
  user) and ``redis-server``;
- ``app1`` and ``app2`` each run a web process, a worker pool and, on their own loopback, the
  demo LLM (the model file's demo provider is ``127.0.0.1``), sharing one storage root as
  hosts share a network volume;
- ``lb`` runs HAProxy with ``deploy/haproxy.cfg``;
- ``client`` is where the test itself talks from: :meth:`Cluster.enter_client` moves the
  test's thread into it (``setns``), so its HTTP and Socket.IO clients reach HAProxy as a
  browser would, and nothing is reachable from outside.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import PASSWORD
from tests.support.processes import ROOT

CLONE_NEWNET = 0x40000000
SUBNET = "10.77.0"
ADDRESSES = {"lb": 2, "client": 3, "data": 10, "app1": 11, "app2": 12}
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET = "deployment-test-secret-key-" + "x" * 40
FERNET = "2mHvS1vN4Jm8mY1bqvH0oK9qkq6b3cW7a1fXcYV2Wk0="


def missing_tools() -> list[str]:
    needed = ["ip", "haproxy", "redis-server", "runuser"]
    return [tool for tool in needed if shutil.which(tool) is None] + \
        ([] if (PG_BIN / "initdb").exists() else [str(PG_BIN / "initdb")])


class Cluster:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.prefix = f"cf{os.getpid() % 10000}-"
        self.processes: dict[str, dict[str, subprocess.Popen]] = {}  # host -> role -> process
        self.url = f"http://{SUBNET}.{ADDRESSES['lb']}"
        self.pg_data = workdir / "pg"
        self._home_ns: int | None = None

    # -- addresses and commands ---------------------------------------------------------
    def ns(self, host: str) -> str:
        return self.prefix + host

    def address(self, host: str) -> str:
        return f"{SUBNET}.{ADDRESSES[host]}"

    def app_env(self, host: str) -> dict[str, str]:
        data = self.address("data")
        return {
            "FLASK_APP": "app:create_app",
            "CONFAB_ENV": "development",
            "SECRET_KEY": SECRET,
            "CONFAB_PROVIDER_KEYS_SECRET": FERNET,
            "DATABASE_URL": f"postgresql://postgres@{data}:5432/postgres",
            "REDIS_URL": f"redis://{data}:6379/0",
            "CONFAB_INSTANCE_DIR": str(self.workdir / host),
            "CONFAB_STORAGE_ROOT": str(self.workdir / "storage"),
            "HOST": "0.0.0.0",
            "PORT": "5000",
            "CONFAB_TRUSTED_PROXIES": "1",
            "DEMO_LLM_PORT": "5055",
            "WORKERS": "1",
            "STREAMS_PER_WORKER": "16",
            "CONFAB_STREAM_HEARTBEAT_SECONDS": "1",
            "CONFAB_STREAM_HEARTBEAT_TTL": "5",
            "PYTHONUNBUFFERED": "1",
        }

    def _run(self, *argv: str) -> None:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def _in(self, host: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host), *argv]

    def _start(self, host: str, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.workdir / f"{host}-{name}.log", "ab")
        process = subprocess.Popen(self._in(host, *argv), cwd=ROOT, env={**os.environ, **(env or {})},
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.processes.setdefault(host, {})[name] = process
        return process

    def flask(self, *args: str, host: str = "app1") -> str:
        result = subprocess.run(self._in(host, sys.executable, "-m", "flask", *args), cwd=ROOT,
                                env={**os.environ, **self.app_env(host)}, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} on {host} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    # -- bringing it up -------------------------------------------------------------------
    def start(self) -> Cluster:
        self._network()
        self._data_host()
        self.flask("db", "upgrade")
        self.flask("models", "seed")
        self.flask("users", "create", "--email", "ann@example.com", "--name", "Ann Lee", "--password", PASSWORD)
        self.flask("users", "create", "--email", "bob@example.com", "--name", "Bob Stone", "--password", PASSWORD)
        self.flask("accounts", "add-member", "Ann Lee's account", "bob@example.com")
        for host in ("app1", "app2"):
            self.start_app(host)
        self._start("lb", "haproxy", ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")], {
            "CONFAB_BIND": f"{self.address('lb')}:80",
            "CONFAB_APP1": f"{self.address('app1')}:5000", "CONFAB_APP2": f"{self.address('app2')}:5000"})
        return self

    def _network(self) -> None:
        switch = self.ns("switch")
        self._run("ip", "netns", "add", switch)
        self._run("ip", "netns", "exec", switch, "ip", "link", "add", "br0", "type", "bridge")
        self._run("ip", "netns", "exec", switch, "ip", "link", "set", "br0", "up")
        for host in ADDRESSES:
            ns, outer = self.ns(host), f"v{self.prefix}{host}"[:15]
            self._run("ip", "netns", "add", ns)
            self._run("ip", "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns)
            self._run("ip", "link", "set", outer, "netns", switch)
            self._run("ip", "netns", "exec", switch, "ip", "link", "set", outer, "master", "br0", "up")
            self._run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{self.address(host)}/24", "dev", "eth0")
            self._run("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            self._run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def _data_host(self) -> None:
        sockets = self.workdir / "pg-sockets"
        for folder in (self.pg_data, sockets):
            folder.mkdir(parents=True)
            shutil.chown(folder, "postgres")
        self._run("runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(self.pg_data),
                  "-A", "trust", "-U", "postgres")
        with open(self.pg_data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
        self.start_postgres()
        self._start("data", "redis", ["redis-server", "--bind", self.address("data"), "--port", "6379",
                                      "--save", "", "--appendonly", "no", "--protected-mode", "no"])

    def start_postgres(self) -> None:
        sockets = self.workdir / "pg-sockets"
        self._run(*self._in("data", "runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                            str(self.pg_data), "-l", str(self.workdir / "pg-sockets" / "postgres.log"), "-w", "-o",
                            f"-c listen_addresses={self.address('data')} -c unix_socket_directories={sockets} "
                            "-c max_connections=400 -c fsync=off", "start"))

    def stop_postgres(self) -> None:
        self._run(*self._in("data", "runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                            str(self.pg_data), "-m", "fast", "-w", "stop"))

    def start_app(self, host: str) -> None:
        env = self.app_env(host)
        if "demo" not in self.processes.get(host, {}):
            self._start(host, "demo", [sys.executable, "-m", "flask", "demo-llm", "--port", "5055"], env)
        self._start(host, "web", [sys.executable, "wsgi.py"], env)
        self._start(host, "worker", [sys.executable, "worker.py"], env)

    # -- the test's own side ----------------------------------------------------------------
    def enter_client(self) -> None:
        """Move this thread (and the threads it starts) into the client namespace."""
        self._home_ns = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        _setns(f"/run/netns/{self.ns('client')}")

    def leave_client(self) -> None:
        if self._home_ns is not None:
            _setns_fd(self._home_ns)
            os.close(self._home_ns)
            self._home_ns = None

    def wait_until_serving(self, timeout: float = 60) -> None:
        """Until HAProxy answers /healthz through each app host (both marked up)."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline and len(seen) < 2:
            for host in ("app1", "app2"):
                try:
                    if requests.get(f"http://{self.address(host)}:5000/healthz", timeout=1).status_code == 200:
                        seen.add(host)
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        if len(seen) < 2:
            raise TimeoutError(f"only {sorted(seen)} answered /healthz within {timeout} s\n{self.logs()}")
        time.sleep(5)  # HAProxy marks a server up after two checks, 2 s apart

    # -- failures ----------------------------------------------------------------------------
    def kill_host(self, host: str) -> None:
        """Every process in the host's namespace, at once, with SIGKILL (a power cut, as far as
        they know): worker pools start children in process groups of their own, so it goes by
        namespace (`ip netns pids`), not by group."""
        pids = subprocess.run(["ip", "netns", "pids", self.ns(host)], capture_output=True, text=True,
                              timeout=10).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        for process in self.processes.pop(host, {}).values():
            process.wait(timeout=10)

    def restart_app(self, host: str) -> float:
        """A rolling restart's step: SIGTERM to the host's web process and worker pool (as
        systemd stops them), SIGKILL to what is left after 30 s, then start them again; how long
        they took to stop. The demo LLM stands for a provider elsewhere: it stays up."""
        started = time.monotonic()
        processes = [self.processes[host].pop(role) for role in ("web", "worker")]
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=max(1.0, 30 - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        stopped = time.monotonic() - started
        self.start_app(host)
        return stopped

    def stop(self) -> None:
        self.leave_client()
        for host in ("lb", "app1", "app2"):
            self.kill_host(host)
        if (self.pg_data / "postmaster.pid").exists():
            self.stop_postgres()
        self.kill_host("data")
        for host in (*ADDRESSES, "switch"):
            subprocess.run(["ip", "netns", "delete", self.ns(host)], capture_output=True, timeout=30)

    def logs(self) -> str:
        return "\n".join(f"==> {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted([*self.workdir.glob("*.log"), *self.workdir.glob("pg-sockets/*.log")]))


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        _setns_fd(fd)
    finally:
        os.close(fd)


def _setns_fd(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")
