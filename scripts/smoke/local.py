"""The same checks against a local server on the SageMaker container contract (no AWS)."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import CheckFailedError, UsageError
from .features import check_payload, count_from_options
from .invoke import Clock, Progress, Sleep
from .load import (
    FAILED,
    HTTP_TOO_MANY_REQUESTS,
    THROTTLED,
    Invoker,
    Outcome,
    check_answer,
    run_burst,
)
from .options import Options
from .payload import expected_prediction_count, read_payload
from .report import Report, finish_load, record_answer

LOCAL_PING_INTERVAL = 0.5  # seconds between /ping polls of a local server that answers 503


class LocalServer:
    """A server on the SageMaker container contract, over one keep-alive connection."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"--local-url {url!r} has an invalid port") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--local-url {url!r} is not an http:// or https:// URL with a host")
        self.url = url.rstrip("/")
        self._path_prefix = parts.path.rstrip("/")
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self._connection = connection_class(parts.hostname, port, timeout=timeout)

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        try:
            self._connection.request(method, self._path_prefix + path, body=body, headers=headers)
            response = self._connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            self._connection.close()
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise CheckFailedError(
                f"{method} {self.url}{path} failed: {reason} (is the server running? `make serve`)"
            ) from None

    def close(self) -> None:
        self._connection.close()


def wait_local_ready(
    server: LocalServer,
    *,
    timeout: float,
    sleep: Sleep,
    clock: Clock,
    progress: Progress,
) -> str:
    """GET /ping until 200; a 503 (still loading) is waited for, anything else fails."""
    started = clock()
    while True:
        status, body = server.request("GET", "/ping", headers={})
        if status == 200:
            return "Healthy"
        elapsed = clock() - started
        if status != 503 or elapsed + LOCAL_PING_INTERVAL > timeout:
            raise CheckFailedError(f"GET {server.url}/ping answered {status}: {body[:200]!r}")
        progress(f"[{elapsed:6.1f}s] {server.url}/ping: {status}")
        sleep(LOCAL_PING_INTERVAL)


def local_invoker(
    url: str, *, workers: int, body: bytes, headers: dict[str, str], expected: int | None
) -> tuple[Invoker, Callable[[], None]]:
    """One keep-alive connection per worker; (invoke, close)."""
    connections = [LocalServer(url, timeout=70.0) for _ in range(workers)]

    def invoke(worker: int) -> Outcome:
        try:
            status, answer = connections[worker].request(
                "POST", "/invocations", body=body, headers=headers
            )
        except CheckFailedError as error:
            return FAILED, "connection error", str(error)
        if status == HTTP_TOO_MANY_REQUESTS:
            return THROTTLED, "HTTP 429", answer.decode(errors="replace")[:300]
        if status != 200:
            return FAILED, f"HTTP {status}", answer.decode(errors="replace")[:300]
        return check_answer(answer, expected)

    def close() -> None:
        for connection in connections:
            connection.close()

    return invoke, close


def run_local(options: Options, *, sleep: Sleep, clock: Clock, progress: Progress) -> Report:
    """The same checks against a local server: no AWS session, no retries."""
    assert options.local_url is not None
    server = LocalServer(options.local_url, timeout=70.0)
    payload = read_payload(options.payload_file)
    report = Report(endpoint_name=server.url, region="local")
    features = count_from_options(feature_count=options.feature_count, model=options.model)
    report.feature_count = features.count if features else None
    report.feature_check = check_payload(payload, options.content_type, features)
    try:
        report.status = wait_local_ready(
            server, timeout=options.timeout, sleep=sleep, clock=clock, progress=progress
        )
        headers = {"Content-Type": options.content_type}
        if options.accept:
            headers["Accept"] = options.accept
        expected = expected_prediction_count(payload, options.content_type)
        if options.requests:
            return run_local_load(
                options,
                report,
                payload=payload,
                headers=headers,
                expected=expected,
                clock=clock,
                progress=progress,
            )
        for _call in range(1 + max(0, options.warm_invocations)):
            started = clock()
            status, answer = server.request("POST", "/invocations", body=payload, headers=headers)
            seconds = clock() - started
            if status != 200:
                message = answer.decode(errors="replace")[:300]
                raise CheckFailedError(f"invocation answered HTTP {status}: {message}")
            record_answer(report, answer, seconds=seconds, attempts=1, expected=expected)
    finally:
        server.close()
    report.ok = True
    return report


def run_local_load(
    options: Options,
    report: Report,
    *,
    payload: bytes,
    headers: dict[str, str],
    expected: int | None,
    clock: Clock,
    progress: Progress,
) -> Report:
    assert options.local_url is not None
    assert options.requests is not None
    concurrency = min(options.concurrency or 1, options.requests)
    progress(
        f"{report.endpoint_name} is a local server: no MaxConcurrency, --concurrency unchecked"
    )
    invoke, close = local_invoker(
        options.local_url, workers=concurrency, body=payload, headers=headers, expected=expected
    )
    try:
        results, wall_seconds = run_burst(
            invoke, requests=options.requests, concurrency=concurrency, clock=clock
        )
    finally:
        close()
    return finish_load(
        report, results, wall_seconds=wall_seconds, concurrency=concurrency, max_concurrency=None
    )
