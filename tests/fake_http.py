"""A scripted stand-in for an inference server: /ping 200, then the answers it is given."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, bytes]


@dataclass
class Script:
    """Invocation answers in order; once they run out, ``then`` for every further call."""

    answers: Sequence[Answer] = ()
    then: Answer = (200, b"1.5")
    calls: list[bytes] = field(default_factory=list)

    def next_answer(self, body: bytes) -> Answer:
        self.calls.append(body)
        index = len(self.calls) - 1
        return self.answers[index] if index < len(self.answers) else self.then


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._reply(200, b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        script: Script = self.server.script  # type: ignore[attr-defined]
        self._reply(*script.next_answer(body))

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def scripted_server(script: Script) -> Iterator[str]:
    """Serve ``script`` on a free loopback port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.script = script  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port that was bound and closed: nothing listens there."""
    with ThreadingHTTPServer(("127.0.0.1", 0), _Handler) as closed:
        return int(closed.server_address[1])
