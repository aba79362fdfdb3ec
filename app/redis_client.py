"""Redis connections for the app: real servers by URL, fakeredis for unit tests."""
from __future__ import annotations

import redis
from flask import current_app

FAKE_SCHEME = "fakeredis://"
_fake_server = None


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://``, ``rediss://``, ``unix://`` or ``fakeredis://``)."""
    if url.startswith(FAKE_SCHEME):
        import fakeredis

        global _fake_server
        if _fake_server is None:
            _fake_server = fakeredis.FakeServer()
        return fakeredis.FakeRedis(server=_fake_server)
    return redis.Redis.from_url(url, health_check_interval=30)


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
