"""A real HTTP(S) server on loopback that receives webhooks and answers as a test scripts it:
fail N times, answer 410 or 429, or hang; then 200."""

from __future__ import annotations

import ssl
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.tls import ServerCertificate

HANG = "hang"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _State:
    scripts: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    received: dict[str, list[Received]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)


class WebhookReceiver:
    def __init__(self, tls: ServerCertificate | None = None) -> None:
        state = self.state = _State()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with state.lock:
                    state.received[self.path].append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    script = state.scripts[self.path]
                    answer = script.pop(0) if script else 200
                if answer == HANG:
                    # Holds the request past the sender's timeout; let go when the test ends.
                    state.released.wait(120)
                    return
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._scheme = "http"
        if tls is not None:
            # HTTPS: the handshake happens as a connection is accepted; a client that refuses
            # the certificate ends it there, and the server goes on serving.
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls.cert, tls.key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_port}{path}"

    def script(self, path: str, *answers: Any) -> None:
        """The next answers at ``path``: a status, (status, headers), or HANG; then 200s."""
        with self.state.lock:
            self.state.scripts[path].extend(answers)

    def received(self, path: str) -> list[Received]:
        with self.state.lock:
            return list(self.state.received[path])

    def close(self) -> None:
        self.state.released.set()
        self._server.shutdown()
        self._server.server_close()
