"""The moto server the rehearsal deploys to, seen from the rehearsal's side.

It runs ``python -m scripts.rehearsal_moto`` (moto's server with the patches of moto_patches.py)
on a free loopback port, in its own process group, and is always stopped with the whole group.
The rehearsal reads its log for what the patches did, and sets its canned inference answer.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.rehearsal.commands import stop_process_group
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.moto_patches import PATCHES, PLACEHOLDER_MARKER
from scripts.rehearsal.settings import ACCOUNT, PROJECT_ROOT, REGION


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MotoServer:
    """moto in server mode in its own process group; stopped (the whole group) on exit."""

    def __init__(self, *, log_path: Path, startup_timeout: float = 30.0) -> None:
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._pick_port()

    def _pick_port(self) -> None:
        self.port = free_loopback_port()
        # localhost, not 127.0.0.1: moto resolves template URLs (S3) by host name.
        self.url = f"http://localhost:{self.port}"

    def __enter__(self) -> MotoServer:
        return self.start()

    def start(self, attempts: int = 3) -> MotoServer:
        """Start the server; another port if the free one was taken in between."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once()
            except RehearsalFailedError:
                if attempt == attempts or "Address already in use" not in self.log_text():
                    raise
                self._pick_port()
        raise AssertionError("unreachable")

    def _start_once(self) -> MotoServer:
        command = [sys.executable, "-m", "scripts.rehearsal_moto"]
        command += ["-H", "127.0.0.1", "-p", str(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: one signal stops all of it
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RehearsalFailedError(
                    f"moto server exited with code {self.process.returncode}: {self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RehearsalFailedError(f"moto server did not answer within {self.startup_timeout}s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def not_emulated_types(self) -> set[str]:
        """Resource types the server stood a placeholder in for, or moto skipped (logged once
        per type by moto_placeholders.py, or by moto itself when run without it)."""
        found: set[str] = set()
        for line in self.log_text().splitlines():
            if PLACEHOLDER_MARKER in line:
                found.add(line.split(PLACEHOLDER_MARKER, 1)[1].split()[0])
            elif "Tried to parse " in line and "not supported by moto's CloudFormation" in line:
                found.add(line.split("Tried to parse ", 1)[1].split()[0])
        return found

    def patches_seen(self) -> dict[str, list[str]]:
        """The notes of the patches (moto_patches.PATCHES) that acted so far, each with the
        details the server logged after the patch's marker."""
        seen: dict[str, list[str]] = {}
        lines = self.log_text().splitlines()
        for patch in PATCHES:
            for line in lines:
                if patch.marker in line:
                    details = seen.setdefault(patch.note, [])
                    detail = line.split(patch.marker, 1)[1].strip()
                    if detail and detail not in details:
                        details.append(detail)
        return seen

    def set_inference_answer(self, body: str, content_type: str = "text/csv") -> None:
        """Queue the body moto returns for the next endpoint invoked with a new request."""
        document = {
            "account_id": ACCOUNT,
            "region": REGION,
            "results": [{"Body": body, "ContentType": content_type}],
        }
        request = urllib.request.Request(
            f"{self.url}/moto-api/static/sagemaker/endpoint-results",
            data=json.dumps(document).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status not in (200, 201):
                raise RehearsalFailedError(f"moto API answered HTTP {response.status}")
