"""A small HTTP/1.1 server for the WSGI app, with keep-alive.

Werkzeug's development server closes every connection; a client measuring latency (the smoke
script's load mode, ``make size``, ``make bench``) would then time TCP set-up, which the real
endpoint's front door does not add. The body is read in full (Content-Length) before the app
runs, so a kept-alive connection never holds half a request.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .source import SERVERLESS_MAX_PAYLOAD_BYTES

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Bodies up to this size are read and discarded after a refusal, so the client gets the answer.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


class WSGIServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_port = False  # a second server on a busy port must fail, not share it

    def __init__(self, address: tuple[str, int], app: WSGIApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "serve_local"
    sys_version = ""
    server: WSGIServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        self._handle()

    def handle_expect_100(self) -> bool:
        # curl sends `Expect: 100-continue` before large bodies: the front door refuses them
        # before they travel.
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > SERVERLESS_MAX_PAYLOAD_BYTES:
            self.close_connection = True
            self._handle(body=b"")
            return False
        return super().handle_expect_100()

    def _read_chunked(self) -> bytes | None:
        """A chunked body, as nginx buffers one for the container; None after a refusal."""
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self._reply_plain(HTTPStatus.BAD_REQUEST, f"invalid chunk size: {size_line!r}")
                return None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            if len(body) + size > SERVERLESS_MAX_PAYLOAD_BYTES:
                self.close_connection = True  # the rest is not read
                return None
            body += self.rfile.read(size)
            self.rfile.readline(1024)  # the CRLF after the chunk

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = self._read_chunked()
            if body is None and self.close_connection:
                self._handle(body=b"", content_length=str(SERVERLESS_MAX_PAYLOAD_BYTES + 1))
            return body
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            self._reply_plain(HTTPStatus.BAD_REQUEST, f"invalid Content-Length: {raw!r}")
            return None
        length = int(raw)
        if length > SERVERLESS_MAX_PAYLOAD_BYTES:
            self._drain(length)  # the app refuses it from CONTENT_LENGTH alone
            return b""
        return self.rfile.read(length) if length else b""

    def _drain(self, length: int) -> None:
        if length > DRAIN_LIMIT_BYTES:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def _environ(self, body: bytes, content_length: str | None) -> dict[str, Any]:
        parts = urlsplit(self.path)
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(parts.path, "latin-1"),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_LENGTH": content_length
            or self.headers.get("Content-Length", "")
            or str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if "Content-Type" in self.headers:
            environ["CONTENT_TYPE"] = self.headers["Content-Type"]
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            # The body is de-chunked here, as nginx buffers it and sends a Content-Length.
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _handle(self, body: bytes | None = None, content_length: str | None = None) -> None:
        if body is None:
            body = self._read_body()
            if body is None:
                return
        status_line = ""
        response_headers: list[tuple[str, str]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            nonlocal status_line, response_headers
            status_line, response_headers = status, headers
            return lambda data: None

        result = self.server.app(self._environ(body, content_length), start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self._send(status_line, response_headers, payload)

    def _reply_plain(self, status: HTTPStatus, message: str) -> None:
        self.close_connection = True
        self._send(
            f"{status.value} {status.phrase}",
            [("Content-Type", "text/plain; charset=utf-8")],
            message.encode(),
        )

    def _send(self, status_line: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        code = int(status_line.split(" ", 1)[0])
        lines = [f"HTTP/1.1 {status_line}", f"Server: {self.server_version}"]
        for name, value in headers:
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
            if name.lower() != "content-length":
                lines.append(f"{name}: {value}")
        if code not in (204, 304) and not 100 <= code < 200:
            lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection and not any(h.lower() == "connection" for h, _ in headers):
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write for status line, headers and body: no Nagle/delayed-ACK stalls.
        self.wfile.write(head + (b"" if self.command == "HEAD" else payload))
        if code >= 400:
            self.log_message('"%s %s" %d', self.command, self.path, code)

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")
