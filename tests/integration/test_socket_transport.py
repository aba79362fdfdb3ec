"""The web process's WebSockets (``app/realtime/socket_transport.py``): a browser's offer of
per-message compression is declined, so a connection costs no zlib state on the server."""
from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlparse


def upgrade_response(web_url: str, extensions: str) -> str:
    """The head of the server's answer to a WebSocket upgrade that offers ``extensions``."""
    address = urlparse(web_url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address.netloc}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n")
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            received = connection.recv(4096)
            if not received:
                break
            head += received
    return head.split(b"\r\n\r\n")[0].decode()


def test_a_websocket_is_accepted_without_the_compression_a_browser_offers(stack):
    head = upgrade_response(stack.web_url, "permessage-deflate; client_max_window_bits")
    assert head.startswith("HTTP/1.1 101")
    assert "sec-websocket-extensions" not in head.lower()
