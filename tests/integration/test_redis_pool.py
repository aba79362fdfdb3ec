"""A Redis client whose connections are all in use makes the next caller wait, not fail."""
from __future__ import annotations

import threading

from app.platform.redis_client import connect


def test_a_caller_waits_for_a_free_connection_when_the_pool_is_exhausted(stack):
    client = connect(stack.redis_url, max_connections=2)
    pool = client.connection_pool
    held = [pool.get_connection(), pool.get_connection()]
    answered = threading.Event()
    caller = threading.Thread(target=lambda: client.ping() and answered.set())
    caller.start()
    assert not answered.wait(0.3)  # all connections in use: waiting, not failing
    pool.release(held.pop())
    assert answered.wait(5)
    caller.join()
    pool.release(held.pop())
    client.close()
