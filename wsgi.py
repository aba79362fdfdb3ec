"""Web entry point: green-patch first, then build the app and serve Socket.IO + HTTP.

The async mode is one setting, ``CONFAB_ASYNC_MODE`` (``eventlet`` by default,
``gevent`` or ``threading`` also work). It is read here directly because the
patch must happen before any other import, app.config included; app code never
imports eventlet. psycopg2 is a C library the patch cannot reach: psycogreen makes it
wait for PostgreSQL through the green hub, so one request's query never stalls every
other request and Socket.IO emit of the process.
"""
import os

ASYNC_MODE = os.environ.get("CONFAB_ASYNC_MODE", "eventlet")
if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
    from psycogreen.eventlet import patch_psycopg
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg
if ASYNC_MODE in ("eventlet", "gevent"):
    patch_psycopg()

from app import create_app  # noqa: E402
from app.extensions import socketio  # noqa: E402
from app.platform import heap
from app.platform.redis_client import wait_for_redis  # noqa: E402

app = create_app(role="web")
heap.settle()


if __name__ == "__main__":
    port = int(app.config["PORT"])
    with app.app_context():
        wait_for_redis()
    app.logger.info("Confab web on http://127.0.0.1:%s (%s)", port, ASYNC_MODE)
    # eventlet's server holds back body writes under 4 KB; an event stream must flush each event.
    flush_each_write = {"minimum_chunk_size": 0} if ASYNC_MODE == "eventlet" else {}
    socketio.run(app, host=app.config["HOST"], port=port, log_output=False, **flush_each_write)
