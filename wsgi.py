"""Web entry point: green-patch first, then build the app and serve Socket.IO + HTTP.

The async mode is one setting, ``CONFAB_ASYNC_MODE``: ``eventlet`` (the default), ``gevent``
(``pip install -e '.[gevent]'``: gevent's server with gevent-websocket) or ``threading``
(Werkzeug's development server: for trying things out, not for a team). It is read here
directly because the patch must happen before any other import, app.config included; app
code never imports eventlet or gevent. psycopg2 is a C library the patch cannot reach: psycogreen makes it
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
from app.platform import db_budget, heap  # noqa: E402
from app.files.storage import claim_storage_root  # noqa: E402
from app.platform.redis_client import wait_for_redis  # noqa: E402

app = create_app(role="web")
heap.settle()


def eventlet_server_options(header_seconds: float, idle_seconds: float) -> dict:
    """eventlet's server with two deadlines: a connection that sends nothing for
    ``idle_seconds`` (an idle keep-alive one included) is closed, and once a request's first
    byte arrives its line and headers must all arrive within ``header_seconds`` (a slow sender
    gets a 408): otherwise each such client holds a connection and a green thread for ever.
    The body, the answer and a WebSocket's life have no such deadline. Body writes under 4 KB
    are not held back: an event stream must flush each event."""
    from eventlet import Timeout
    from eventlet.wsgi import HttpProtocol

    class HeadersWithinDeadline(HttpProtocol):
        def handle_one_request(self):
            try:
                self.connection.settimeout(idle_seconds)
                started = bool(self.rfile.peek(1))  # b"" once the client has closed
            except OSError:  # idle for too long, or reset
                started = False
            if not started:
                self.close_connection = 1
                return
            self.connection.settimeout(self.server.socket_timeout)
            self.headers_deadline = Timeout(header_seconds)
            try:
                super().handle_one_request()
            except Timeout as timeout:  # the request line itself did not arrive in time
                if timeout is not self.headers_deadline:
                    raise
                self.close_connection = 1
            finally:
                self.headers_deadline.cancel()

        def parse_request(self):
            try:
                return super().parse_request()
            except Timeout as timeout:
                if timeout is not self.headers_deadline:
                    raise
                self.wfile.write(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                self.close_connection = 1
                return False
            finally:
                self.headers_deadline.cancel()  # the body and the answer take as long as they take

    return {"minimum_chunk_size": 0, "protocol": HeadersWithinDeadline}


def open_files_for(connections: int) -> int:
    """Raise this process's soft limit of open files towards ``connections`` plus room for the
    database, Redis and files (never past the hard limit); the limit it ends with."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def serve_eventlet(host: str, port: int) -> None:
    """eventlet's server, as ``socketio.run`` starts it, but with room for a team: at most
    ``MAX_CONNECTIONS`` at once (eventlet's default is 1,024, and a full pool stops accepting,
    so posts waited behind idle pages' sockets) and a listen backlog of ``LISTEN_BACKLOG``
    (the default 50 overflows when many connect at once, and a dropped SYN is retried a
    second or more later)."""
    import eventlet
    import eventlet.wsgi

    config = app.config
    listener = eventlet.listen((host, port), backlog=config["LISTEN_BACKLOG"])
    options = eventlet_server_options(config["HEADER_TIMEOUT_SECONDS"], config["IDLE_CONNECTION_SECONDS"])
    # debug=False: eventlet would otherwise send a traceback to the client of a request that fails.
    eventlet.wsgi.server(listener, app, log_output=False, debug=False, max_size=config["MAX_CONNECTIONS"], **options)


if __name__ == "__main__":
    port = int(app.config["PORT"])
    with app.app_context():
        wait_for_redis()
        claim_storage_root()
    db_budget.check(app)
    files = open_files_for(app.config["MAX_CONNECTIONS"])
    app.logger.info("Confab web on http://%s:%s (%s, %s open files)", app.config["HOST"], port, ASYNC_MODE, files)
    if ASYNC_MODE == "eventlet":
        serve_eventlet(app.config["HOST"], port)
    else:  # gevent's pywsgi server, or Werkzeug's (threading), which would refuse to run without a terminal
        socketio.run(app, host=app.config["HOST"], port=port, log_output=False,
                     allow_unsafe_werkzeug=ASYNC_MODE == "threading")
