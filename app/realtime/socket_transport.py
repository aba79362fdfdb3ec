"""How Socket.IO connections are carried: WebSockets without per-message compression.

Browsers (and Node's ``ws``) offer the permessage-deflate extension on every WebSocket.
Accepted, each connection keeps a zlib compressor and decompressor in the web process,
about 300 KB (200 connected members cost 50 MB of the 400 MB that 200 streaming replies
may use, SPEC §11), and every event is compressed on its way out, most of them deltas
of a few dozen bytes that compression cannot shrink. So the upgrade request's
``Sec-WebSocket-Extensions`` header is dropped before the server reads it, and no
server (eventlet, gevent or threading) negotiates compression.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

EXTENSIONS_HEADER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"


class WithoutWebSocketCompression:
    """WSGI middleware: WebSocket upgrades reach the server without extension offers."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        environ.pop(EXTENSIONS_HEADER, None)
        return self.wsgi_app(environ, start_response)
