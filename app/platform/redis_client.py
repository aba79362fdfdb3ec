"""Redis connections for the app: real servers by URL, fakeredis for unit tests."""
from __future__ import annotations

import redis
from flask import current_app

FAKE_SCHEME = "fakeredis://"
MAX_CONNECTIONS = 100
POOL_WAIT_SECONDS = 20
_fake_server = None


def connect(url: str, max_connections: int = MAX_CONNECTIONS) -> redis.Redis:
    """A client for ``url`` (``redis://``, ``rediss://``, ``unix://`` or ``fakeredis://``).

    Its pool holds at most ``max_connections``; when all are in use a caller waits for one
    (redis-py's default pool fails with "Too many connections" instead, which 200 sockets
    closing at once in one web process reach)."""
    if url.startswith(FAKE_SCHEME):
        import fakeredis

        global _fake_server
        if _fake_server is None:
            _fake_server = fakeredis.FakeServer()
        return fakeredis.FakeRedis(server=_fake_server)
    return redis.Redis.from_pool(redis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS, health_check_interval=30))


def get_redis() -> redis.Redis:
    """The current app's shared Redis client."""
    client = current_app.extensions.get("confab.redis")
    if client is None:
        client = current_app.extensions["confab.redis"] = connect(current_app.config["REDIS_URL"])
    return client


def limiter_storage_uri(url: str) -> str:
    """Flask-Limiter (``limits``) spells a unix-socket Redis ``redis+unix://``."""
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://"):]
    if url.startswith(FAKE_SCHEME):
        return "memory://"
    return url


def wait_for_redis(timeout: float = 15.0) -> None:
    """Block until the app's Redis answers (the embedded one may still be starting)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            get_redis().ping()
            return
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
