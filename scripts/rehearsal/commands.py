"""Running commands: the environment every command gets (the emulator, dummy credentials, nothing
of the user's AWS or CDK set-up), the command runner with one log file per command, and the
process-group stop that leaves no CDK CLI or moto process behind."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.settings import (
    ACCOUNT,
    CDK_CLI,
    COMMAND_TIMEOUT,
    NODE,
    PROJECT_ROOT,
    REGION,
    VENV_BIN,
)


def cli_environment(
    *, endpoint_url: str, home: Path, base: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The environment of every command: the emulator and dummy credentials, nothing of the
    user's AWS or CDK set-up (profiles, config files, HOME) and the venv's Node.js first."""
    env = {key: value for key, value in base.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}",
        HOME=str(home),
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(home / "aws-config-unused"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials-unused"),
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DEFAULT_ACCOUNT=ACCOUNT,
        CDK_DEFAULT_REGION=REGION,
        CDK_DISABLE_CLI_TELEMETRY="true",
        NPM_CONFIG_LOGLEVEL="error",
        NO_COLOR="1",
        FORCE_COLOR="0",
    )
    # With HOME moved, jsii would unpack aws-cdk-lib anew (~25 s): keep its usual package cache.
    env.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(jsii_package_cache(base)))
    return env


def jsii_package_cache(environ: Mapping[str, str]) -> Path:
    """Where jsii keeps unpacked packages by default (its own rule, for Linux and macOS)."""
    home = Path(environ.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache"
    return home / ".cache" / "aws" / "jsii" / "package-cache"


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str
    log: Path


class CommandRunner:
    """Runs commands in the project directory, each one's output kept in a log file."""

    def __init__(
        self, *, env: Mapping[str, str], log_dir: Path, verbose: bool, say: Callable[[str], None]
    ) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.verbose = verbose
        self.say = say
        self.count = 0

    def run(
        self, args: Sequence[str], *, check: bool = True, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        self.count += 1
        words = [arg for arg in args if not arg.startswith("-")][:3]
        label = "-".join(re.sub(r"[^A-Za-z0-9.]+", "_", Path(word).name) for word in words)
        log = self.log_dir / f"{self.count:02d}-{label}.log"
        shown = " ".join(shlex.quote(a) for a in args).replace(str(PROJECT_ROOT) + "/", "")
        extra = " ".join(f"{key}={value}" for key, value in (env or {}).items())
        self.say(f"    $ {extra + ' ' if extra else ''}{shown}")
        # Each command in its own process group: on a timeout or Ctrl-C, all of it is stopped
        # (the CLI starts node processes of its own).
        process = subprocess.Popen(
            list(args),
            cwd=PROJECT_ROOT,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RehearsalFailedError(
                f"`{shown}` did not finish within {COMMAND_TIMEOUT:.0f}s"
            ) from None
        finally:
            stop_process_group(process)
        completed = subprocess.CompletedProcess(args, process.returncode, output)
        log.write_text(completed.stdout)
        if self.verbose:
            for line in completed.stdout.splitlines():
                self.say(f"      | {line}")
        result = CommandResult(completed.returncode, completed.stdout, log)
        if check and completed.returncode != 0:
            raise RehearsalFailedError(
                f"`{shown}` exited with {completed.returncode}:\n{tail(completed.stdout)}"
            )
        return result

    def cdk(self, *args: str, check: bool = True) -> CommandResult:
        return self.run([str(NODE), str(CDK_CLI), *args], check=check)


def stop_process_group(process: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """Stop ``process`` and everything in its process group (it must lead its own group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # Children the group leader left behind (it exited, they did not).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def tail(text: str, lines: int = 12) -> str:
    return "\n".join(f"      {line}" for line in text.strip().splitlines()[-lines:])
