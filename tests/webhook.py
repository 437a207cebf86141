"""A real webhook receiver on loopback (http.server): apprise's ``json://`` posts land
here, one captured body per notification."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.posts: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"json://{host}:{port}/devpack-hook"

    def record(self, path: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.paths.append(path)
            self.posts.append(body)

    def events(self) -> list[str]:
        """The ``event:`` line of each notification body, in arrival order."""
        found = []
        for post in self.posts:
            lines = [ln for ln in post.get("message", "").splitlines() if ln.startswith("event:")]
            found.append(lines[0].split(":", 1)[1].strip() if lines else "?")
        return found


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            receiver.record(self.path, body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
