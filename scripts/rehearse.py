#!/usr/bin/env python3
"""Rehearse a deploy offline: the real CDK CLI against moto's AWS emulator, start to finish.

    make rehearse                   # or: .venv/bin/python -m scripts.rehearse [--json] [-v]

Starts moto in server mode on a free loopback port and drives the pinned CDK CLI
(node_modules/aws-cdk, the one ``npx cdk`` runs, on the venv's Node.js) against it with dummy
credentials (account 123456789012, us-east-1):

1. ``cdk synth`` of app.py, ``cdk bootstrap``, then ``cdk deploy`` of every stack; each deployed
   stack must hold every resource of its template and its outputs (a type moto lacks gets a
   placeholder from scripts/rehearsal_moto.py, and is noted);
2. the smoke script (``python -m scripts.smoke_test``) against each stack's endpoint (the
   ``EndpointName`` output), with the answer set through moto's API first: moto returns canned
   inference bodies, so this proves the wiring (stack -> output -> endpoint -> runtime call ->
   answer check), never the model;
3. an update: one environment's memory size changed (scripts/rehearsal_app.py), ``cdk diff``, a
   plan of what is replaced and what is modified in place (a loud warning if the
   AWS::SageMaker::Endpoint itself would be replaced: downtime), then ``cdk deploy`` of it, which
   must reach UPDATE_COMPLETE with an EndpointConfig carrying the new memory;
4. ``cdk destroy`` of every stack; no SageMaker model, endpoint config or endpoint may remain.

What moto does differently from CloudFormation is worked around where the CLI allows it and
reported as a named, expected emulator note in the summary; it never passes silently, and the
templates are never changed for it. Everything it writes goes to a temporary directory (cloud
assemblies via ``--output``, HOME, AWS config); the moto server it starts is always stopped.

Exit codes: 0 the rehearsal passed; 1 a step failed (the reason is printed); 2 usage or set-up
error (e.g. ``make setup`` not run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

if __package__ in (None, ""):  # `python scripts/rehearse.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.rehearse\n")
    sys.exit(2)

from scripts.update_plan import (
    SPEC_DATABASE,
    Action,
    ReplacementRules,
    UpdatePlan,
    disagreements_with_cli,
    parse_cdk_diff,
    plan_update,
    references,
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
CDK_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
# The Makefile's $(CDK) is `npx --no-install cdk`: the pinned CLI from node_modules. The
# rehearsal starts that same CLI script directly with the venv's Node.js (`node <cdk>`): npx
# would add an npm start-up (about 0.3 s of CPU) to each of its sixteen CLI commands.
NODE = VENV_BIN / "node"
# moto's default account; any region works, this one matches the README's examples.
ACCOUNT, REGION = "123456789012", "us-east-1"
PLACEHOLDER_MARKER = "rehearsal placeholder for unsupported type"  # scripts/rehearsal_moto.py
KMS_TAGS_MARKER = "rehearsal repair: KMS key tags converted for moto"  # scripts/rehearsal_moto.py
STACK_NAME_PREFIX = "SageMakerServerless"  # stacks/config.py (a test keeps the two equal)
OUTPUT_ENDPOINT_NAME = "EndpointName"  # stacks/serverless_stack.py
MEMORY_OVERRIDE_CONTEXT = "rehearsal:memory-size-in-mb"  # scripts/rehearsal_app.py
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
# The answer moto gives every invocation (set through its API): wiring, not a model prediction.
CANNED_PREDICTION = "151.25"
COMMAND_TIMEOUT = 300.0

# Emulator limits, measured with moto 5.2.5 and CDK CLI 2.1148 (README: "Rehearse a deploy
# offline"). Each one that applies to a run is listed in its summary as an expected note.
NOTES = {
    "direct-deploys": (
        "moto cannot update a stack through a change set ('Stack with id cdk-deploy-change-set "
        "does not exist') and leaves stacks created through one without Outputs: every deploy "
        "uses `cdk deploy --method=direct`"
    ),
    "template-diff": (
        "a change-set diff against moto waits about a minute before falling back: "
        "`cdk diff --method=template` is used"
    ),
    "bootstrap-parameter": (
        "a direct update fails in moto with KeyError 'BootstrapVersion' unless the parameter is "
        "passed: the update passes the template's own default "
        "(--parameters BootstrapVersion=/cdk-bootstrap/hnb659fds/version)"
    ),
    "canned-inference": (
        "moto answers invoke_endpoint with a canned body the rehearsal sets through its API: "
        "the smoke test proves the wiring, not the model"
    ),
    "not-emulated": (
        "moto's CloudFormation does not implement these resource types: it would skip them, and "
        "reject a template that reads one with Fn::GetAtt; the rehearsal's moto server "
        "(scripts/rehearsal_moto.py) stands in a placeholder that creates nothing"
    ),
    "endpoint-name": (
        "moto ignores the template's EndpointName and names the endpoint "
        "<stack>-<logical id>-<random>; the rehearsal reads the name from the stack output"
    ),
    "endpoint-config-not-propagated": (
        "moto replaces the EndpointConfig but does not update the Endpoint that references it "
        "(CloudFormation does): the endpoint's EndpointConfigName after the update is not "
        "evidence either way"
    ),
    "kms-key-tags": (
        "moto's CloudFormation passes an AWS::KMS::Key's Tags to its KMS in the wrong shape "
        "(KeyError 'TagKey'); the rehearsal's moto server converts them (the template is "
        "unchanged)"
    ),
    "managed-policy-delete-order": (
        "moto deletes a role before detaching its AWS::IAM::ManagedPolicy ('Cannot delete "
        "entity, must detach all policies first'), drops the stack and leaves the role and "
        "policy behind; CloudFormation deletes them in dependency order"
    ),
}


class RehearsalFailedError(Exception):
    """A real failure: a step did not do what a deploy must do (exit code 1)."""


class UsageError(Exception):
    """The command line or the set-up is wrong (exit code 2)."""


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Note:
    key: str
    text: str
    details: list[str] = field(default_factory=list)


@dataclass
class Report:
    ok: bool = False
    error: str | None = None
    seconds: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    notes: dict[str, Note] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    smoke: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, detail: str | None = None) -> None:
        note = self.notes.setdefault(key, Note(key=key, text=NOTES[key]))
        if detail and detail not in note.details:
            note.details.append(detail)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["notes"] = [asdict(note) for note in self.notes.values()]
        return document


# --- moto server ----------------------------------------------------------------------------


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
        per type by scripts/rehearsal_moto.py, or by moto itself when run without it)."""
        found: set[str] = set()
        for line in self.log_text().splitlines():
            if PLACEHOLDER_MARKER in line:
                found.add(line.split(PLACEHOLDER_MARKER, 1)[1].split()[0])
            elif "Tried to parse " in line and "not supported by moto's CloudFormation" in line:
                found.add(line.split("Tried to parse ", 1)[1].split()[0])
        return found

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


# --- environment and commands ---------------------------------------------------------------


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


class Runner:
    """Runs commands in the project directory, each one's output kept in a log file."""

    def __init__(
        self, *, env: Mapping[str, str], log_dir: Path, verbose: bool, say: Callable[[str], None]
    ) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.verbose = verbose
        self.say = say
        self.count = 0

    def run(self, args: Sequence[str], *, check: bool = True) -> CommandResult:
        self.count += 1
        words = [arg for arg in args if not arg.startswith("-")][:3]
        label = "-".join(re.sub(r"[^A-Za-z0-9.]+", "_", Path(word).name) for word in words)
        log = self.log_dir / f"{self.count:02d}-{label}.log"
        shown = " ".join(shlex.quote(a) for a in args).replace(str(PROJECT_ROOT) + "/", "")
        self.say(f"    $ {shown}")
        # Each command in its own process group: on a timeout or Ctrl-C, all of it is stopped
        # (the CLI starts node processes of its own).
        process = subprocess.Popen(
            list(args),
            cwd=PROJECT_ROOT,
            env=self.env,
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


# --- cloud assemblies -----------------------------------------------------------------------


@dataclass(frozen=True)
class StackArtifact:
    stack_name: str
    environment: str
    template: dict[str, Any]


def read_assembly(directory: Path) -> dict[str, StackArtifact]:
    """The stacks of a synthesized cloud assembly, in manifest order."""
    manifest = json.loads((directory / "manifest.json").read_text())
    stacks: dict[str, StackArtifact] = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        name = properties.get("stackName", artifact_id)
        template = json.loads((directory / properties["templateFile"]).read_text())
        stacks[name] = StackArtifact(name, artifact.get("environment", ""), template)
    return stacks


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == resource_type
    }


def serverless_memory_sizes(template: Mapping[str, Any]) -> set[int]:
    sizes: set[int] = set()
    for config in resources_of_type(template, "AWS::SageMaker::EndpointConfig").values():
        for variant in config.get("Properties", {}).get("ProductionVariants", []):
            memory = (variant.get("ServerlessConfig") or {}).get("MemorySizeInMB")
            if isinstance(memory, int):
                sizes.add(memory)
    return sizes


def next_memory_size(current: int) -> int:
    """A different valid serverless memory size: one step up, or down from the largest."""
    larger = [size for size in SERVERLESS_MEMORY_SIZES if size > current]
    return larger[0] if larger else max(s for s in SERVERLESS_MEMORY_SIZES if s < current)


# --- checks against the emulator (boto3 clients, so tests can pass moto's in-process mock) ---


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def stack_physical_ids(cloudformation: Any, stack_name: str) -> dict[str, str]:
    paginator = cloudformation.get_paginator("list_stack_resources")
    return {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for page in paginator.paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
        if summary.get("LogicalResourceId")  # moto lists a skipped resource with no id
    }


def check_deployed_stack(
    cloudformation: Any,
    *,
    stack_name: str,
    template: Mapping[str, Any],
    not_emulated_types: set[str],
    expected_status: str,
    report: Report,
) -> dict[str, str]:
    """The stack reached ``expected_status`` and holds every resource and output of its
    template; resources of a type moto does not implement are noted (a placeholder stands in,
    or, without one, moto skipped them). Returns the stack's outputs."""
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != expected_status:
        reason = stack.get("StackStatusReason") or "no reason given"
        raise RehearsalFailedError(
            f"{stack_name} is {stack['StackStatus']}, not {expected_status}: {reason}"
        )
    deployed = stack_physical_ids(cloudformation, stack_name)
    resources: Mapping[str, Any] = template.get("Resources") or {}
    skipped_ids: set[str] = set()
    for logical_id, resource in sorted(resources.items()):
        resource_type = str(resource.get("Type"))
        if resource_type in not_emulated_types:
            report.note("not-emulated", resource_type)
            if logical_id not in deployed:
                skipped_ids.add(logical_id)
        elif logical_id not in deployed:
            raise RehearsalFailedError(
                f"{stack_name}: {logical_id} ({resource_type}) is in the template but was "
                "not deployed"
            )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
    for key, output in sorted((template.get("Outputs") or {}).items()):
        if key in outputs:
            continue
        reads_skipped = references(output.get("Value")) & skipped_ids
        if not reads_skipped:
            raise RehearsalFailedError(f"{stack_name}: output {key} is missing")
        report.note("not-emulated", f"output {key} dropped (reads {', '.join(reads_skipped)})")
    return outputs


def check_endpoint_names(
    *, stack_name: str, template: Mapping[str, Any], endpoint_name: str, report: Report
) -> None:
    """Note it when the deployed endpoint's name is not the template's EndpointName."""
    for endpoint in resources_of_type(template, "AWS::SageMaker::Endpoint").values():
        wanted = endpoint.get("Properties", {}).get("EndpointName")
        if isinstance(wanted, str) and wanted != endpoint_name:
            report.note("endpoint-name", f"{stack_name}: template {wanted}, moto {endpoint_name}")


def check_update_applied(
    cloudformation: Any,
    sagemaker: Any,
    *,
    stack_name: str,
    template: Mapping[str, Any],
    plan: UpdatePlan,
    ids_before: Mapping[str, str],
    memory_size_in_mb: int,
    endpoint_name: str,
    not_emulated_types: set[str],
    report: Report,
) -> list[str]:
    """The update did what the plan said: planned replacements got new physical resources,
    untouched resources kept theirs, and every EndpointConfig of the stack serves the new
    memory size. Returns what was verified, for the step's detail."""
    ids_after = stack_physical_ids(cloudformation, stack_name)
    planned = {change.logical_id: change for change in plan.changes}
    resources = template.get("Resources") or {}
    for logical_id, before in sorted(ids_before.items()):
        if resources.get(logical_id, {}).get("Type") in not_emulated_types:
            continue  # a placeholder keeps its id whatever CloudFormation would do
        after = ids_after.get(logical_id)
        change = planned.get(logical_id)
        if change is None and after != before:
            raise RehearsalFailedError(
                f"{stack_name}: {logical_id} was not in the plan but changed ({before} -> {after})"
            )
        if change is not None and change.action is Action.REPLACE and after == before:
            raise RehearsalFailedError(
                f"{stack_name}: {logical_id} was planned for replacement but kept {before}"
            )
    # The physical id of an EndpointConfig is its ARN; the API takes the name after the "/".
    config_names = [
        ids_after[logical_id].split("/")[-1]
        for logical_id in resources_of_type(template, "AWS::SageMaker::EndpointConfig")
        if logical_id in ids_after
    ]
    if not config_names:
        raise RehearsalFailedError(f"{stack_name}: no EndpointConfig after the update")
    verified: list[str] = []
    for config_name in config_names:
        variants = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)[
            "ProductionVariants"
        ]
        sizes = {(v.get("ServerlessConfig") or {}).get("MemorySizeInMB") for v in variants}
        if sizes != {memory_size_in_mb}:
            raise RehearsalFailedError(
                f"{stack_name}: EndpointConfig {config_name} serves {sorted(map(str, sizes))} MB, "
                f"not {memory_size_in_mb} MB"
            )
        verified.append(f"EndpointConfig {config_name}: {memory_size_in_mb} MB")
    in_use = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    if in_use not in config_names:
        report.note("endpoint-config-not-propagated", f"{endpoint_name} still names {in_use}")
    return verified


def leftover_sagemaker_resources(sagemaker: Any) -> dict[str, list[str]]:
    """Every SageMaker model, endpoint config and endpoint in the account and region."""
    listings = {
        "models": ("list_models", "Models", "ModelName"),
        "endpoint configs": ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        "endpoints": ("list_endpoints", "Endpoints", "EndpointName"),
    }
    leftovers: dict[str, list[str]] = {}
    for kind, (operation, key, name) in listings.items():
        names = [
            item[name]
            for page in sagemaker.get_paginator(operation).paginate()
            for item in page[key]
        ]
        if names:
            leftovers[kind] = sorted(names)
    return leftovers


def stack_is_gone(cloudformation: Any, stack_name: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as error:
        if _error_code(error) == "ValidationError" and "does not exist" in str(error):
            return True
        raise
    return all(stack["StackStatus"] == "DELETE_COMPLETE" for stack in stacks)


def is_managed_policy_delete_conflict(output: str, template: Mapping[str, Any]) -> bool:
    """A destroy failure that is moto's delete order, not the stack's fault."""
    return "must detach all policies first" in output and bool(
        resources_of_type(template, "AWS::IAM::ManagedPolicy")
    )


# --- the rehearsal --------------------------------------------------------------------------


class Rehearsal:
    """The steps, in order; state the later steps need is kept on the instance."""

    def __init__(self, options: argparse.Namespace, report: Report) -> None:
        self.options = options
        self.report = report
        self.step_count = 0
        self.stacks: dict[str, StackArtifact] = {}
        self.endpoint_names: dict[str, str] = {}

    def say(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[StepResult]:
        self.step_count += 1
        self.say(f"==> [{self.step_count}] {name}")
        result = StepResult(name=name, ok=False, seconds=0.0)
        started = time.monotonic()
        try:
            yield result
            result.ok = True
        finally:
            result.seconds = round(time.monotonic() - started, 1)
            self.report.steps.append(result)
            detail = f" - {result.detail}" if result.detail else ""
            self.say(f"    {'ok' if result.ok else 'FAILED'} ({result.seconds:.1f}s){detail}")

    def run(self, workdir: Path) -> None:
        self.workdir = workdir
        (workdir / "home").mkdir()
        (workdir / "logs").mkdir()
        with self.step("start moto server") as step:
            self.server = MotoServer(log_path=workdir / "logs" / "moto-server.log").start()
            step.detail = self.server.url
        try:
            self._connect()
            self.synth()
            self.bootstrap()
            for name in self.stacks:
                self.deploy(name)
            for name in self.stacks:
                with self.step(f"smoke test {name}") as step:
                    step.detail = self.smoke(name)
            update_stack = f"{STACK_NAME_PREFIX}-{self.options.update_environment}"
            plan, template, memory = self.plan_update(update_stack)
            self.apply_update(update_stack, plan, template, memory)
            with self.step(f"smoke test {update_stack} after the update") as step:
                step.detail = self.smoke(update_stack)
            for name in reversed(self.stacks):
                self.destroy(name)
            self.check_leftovers()
        except RehearsalFailedError:
            self.say(f"    moto server log (last lines):\n{tail(self.server.log_text(), 8)}")
            raise
        finally:
            self.server.stop()

    def _connect(self) -> None:
        import boto3

        self.runner = Runner(
            env=cli_environment(endpoint_url=self.server.url, home=self.workdir / "home"),
            log_dir=self.workdir / "logs",
            verbose=self.options.verbose,
            say=self.say,
        )
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.cloudformation = session.client("cloudformation", endpoint_url=self.server.url)
        self.sagemaker = session.client("sagemaker", endpoint_url=self.server.url)
        self.assembly = self.workdir / "cdk.out"

    def synth(self) -> None:
        with self.step("cdk synth (app.py)") as step:
            self.runner.cdk("synth", "--quiet", "--output", str(self.assembly))
            self.stacks = read_assembly(self.assembly)
            if not self.stacks:
                raise RehearsalFailedError("the app has no stacks")
            for stack in self.stacks.values():
                if stack.environment != f"aws://{ACCOUNT}/{REGION}":
                    raise UsageError(
                        f"{stack.stack_name} is pinned to {stack.environment}; the rehearsal "
                        f"deploys to moto's aws://{ACCOUNT}/{REGION} only"
                    )
            step.detail = ", ".join(self.stacks)
        update_stack = f"{STACK_NAME_PREFIX}-{self.options.update_environment}"
        if update_stack not in self.stacks:
            raise UsageError(
                f"--update-environment {self.options.update_environment}: no stack "
                f"{update_stack} (stacks: {', '.join(self.stacks)})"
            )

    def bootstrap(self) -> None:
        with self.step("cdk bootstrap") as step:
            environment = f"aws://{ACCOUNT}/{REGION}"
            self.runner.cdk("bootstrap", environment, "--app", str(self.assembly))
            step.detail = environment

    def deploy(self, name: str) -> None:
        with self.step(f"deploy {name}") as step:
            self.runner.cdk(
                "deploy", name, "--app", str(self.assembly), "--method=direct",
                "--require-approval", "never",
            )  # fmt: skip
            self.report.note("direct-deploys")
            if KMS_TAGS_MARKER in self.server.log_text():
                self.report.note("kms-key-tags")
            template = self.stacks[name].template
            outputs = check_deployed_stack(
                self.cloudformation,
                stack_name=name,
                template=template,
                not_emulated_types=self.server.not_emulated_types(),
                expected_status="CREATE_COMPLETE",
                report=self.report,
            )
            if OUTPUT_ENDPOINT_NAME not in outputs:
                raise RehearsalFailedError(f"{name} has no {OUTPUT_ENDPOINT_NAME} output")
            endpoint_name = self.endpoint_names[name] = outputs[OUTPUT_ENDPOINT_NAME]
            check_endpoint_names(
                stack_name=name, template=template, endpoint_name=endpoint_name, report=self.report
            )
            step.detail = f"CREATE_COMPLETE, endpoint {endpoint_name}"

    def smoke(self, stack_name: str) -> str:
        """Run the smoke script against the stack, with moto's answer set first."""
        endpoint = self.endpoint_names[stack_name]
        self.server.set_inference_answer(f"{CANNED_PREDICTION}\n")
        self.report.note("canned-inference")
        result = self.runner.run(
            [
                sys.executable, "-m", "scripts.smoke_test",
                "--stack", stack_name, "--region", REGION, "--json",
                "--poll-interval", "1", "--timeout", "60", "--warm-invocations", "2",
            ],
            check=False,
        )  # fmt: skip
        reports = [line for line in result.output.splitlines() if line.startswith("{")]
        try:
            smoke: dict[str, Any] = json.loads(reports[-1])
        except (IndexError, json.JSONDecodeError):
            raise RehearsalFailedError(
                f"the smoke test printed no report (exit {result.returncode}):\n"
                f"{tail(result.output)}"
            ) from None
        self.report.smoke[stack_name] = smoke
        if result.returncode != 0 or not smoke.get("ok"):
            raise RehearsalFailedError(f"smoke test of {stack_name} failed: {smoke.get('error')}")
        if smoke.get("endpoint_name") != endpoint:
            raise RehearsalFailedError(
                f"the smoke test found endpoint {smoke.get('endpoint_name')}, "
                f"the stack output says {endpoint}"
            )
        if smoke.get("predictions") != [float(CANNED_PREDICTION)]:
            raise RehearsalFailedError(
                f"{stack_name}: answer {smoke.get('predictions')}, set {CANNED_PREDICTION}"
            )
        calls = 1 + len(smoke.get("warm_latencies_ms", []))
        return f"{endpoint} answered {CANNED_PREDICTION} ({calls} calls)"

    def plan_update(self, stack_name: str) -> tuple[UpdatePlan, dict[str, Any], int]:
        current = serverless_memory_sizes(self.stacks[stack_name].template)
        if len(current) != 1:
            raise RehearsalFailedError(
                f"{stack_name}: expected one serverless memory size, found {sorted(current)}"
            )
        memory_from = current.pop()
        memory_to = self.options.update_memory or next_memory_size(memory_from)
        self.updated_assembly = self.workdir / "cdk.out.update"
        with self.step(f"plan update {stack_name}: {memory_from} -> {memory_to} MB") as step:
            app = f"{shlex.quote(sys.executable)} -m scripts.rehearsal_app"
            override = f"{MEMORY_OVERRIDE_CONTEXT}={self.options.update_environment}={memory_to}"
            self.runner.cdk(
                "synth", "--quiet", "--app", app, "-c", override,
                "--output", str(self.updated_assembly),
            )  # fmt: skip
            new_template = read_assembly(self.updated_assembly)[stack_name].template
            if serverless_memory_sizes(new_template) != {memory_to}:
                raise RehearsalFailedError(f"the rehearsal app did not set {memory_to} MB")
            diff = self.runner.cdk(
                "diff", stack_name, "--app", str(self.updated_assembly), "--method=template"
            )
            self.report.note("template-diff")
            deployed = self.cloudformation.get_template(StackName=stack_name)["TemplateBody"]
            if isinstance(deployed, str):
                deployed = json.loads(deployed)
            plan = plan_update(deployed, new_template, load_rules())
            self.show_plan(plan, diff.output)
            problems = disagreements_with_cli(plan, parse_cdk_diff(diff.output))
            if problems:
                raise RehearsalFailedError("plan and cdk diff disagree: " + "; ".join(problems))
            if not plan.changes:
                raise RehearsalFailedError(f"the memory change does not change {stack_name}")
            self.report.plan = {
                "stack": stack_name,
                "memory_from": memory_from,
                "memory_to": memory_to,
                "changes": plan.to_json(),
                "endpoint_downtime": [change.logical_id for change in plan.endpoint_downtime],
            }
            replaced = ", ".join(c.logical_id for c in plan.replaced) or "none"
            modified = ", ".join(c.logical_id for c in plan.with_action(Action.MODIFY)) or "none"
            step.detail = f"replace: {replaced}; modify in place: {modified}"
            if plan.endpoint_downtime:
                step.detail += "; WARNING: the endpoint is replaced (downtime)"
        return plan, new_template, memory_to

    def apply_update(
        self, stack_name: str, plan: UpdatePlan, template: dict[str, Any], memory: int
    ) -> None:
        with self.step(f"apply update {stack_name}") as step:
            ids_before = stack_physical_ids(self.cloudformation, stack_name)
            bootstrap_parameter = (template.get("Parameters") or {}).get("BootstrapVersion")
            parameters = []
            if bootstrap_parameter:
                default = bootstrap_parameter["Default"]
                parameters = ["--parameters", f"BootstrapVersion={default}"]
                self.report.note("bootstrap-parameter")
            self.runner.cdk(
                "deploy", stack_name, "--app", str(self.updated_assembly), "--method=direct",
                "--require-approval", "never", *parameters,
            )  # fmt: skip
            check_deployed_stack(
                self.cloudformation,
                stack_name=stack_name,
                template=template,
                not_emulated_types=self.server.not_emulated_types(),
                expected_status="UPDATE_COMPLETE",
                report=self.report,
            )
            verified = check_update_applied(
                self.cloudformation,
                self.sagemaker,
                stack_name=stack_name,
                template=template,
                plan=plan,
                ids_before=ids_before,
                memory_size_in_mb=memory,
                endpoint_name=self.endpoint_names[stack_name],
                not_emulated_types=self.server.not_emulated_types(),
                report=self.report,
            )
            step.detail = "UPDATE_COMPLETE; " + "; ".join(verified)

    def destroy(self, name: str) -> None:
        with self.step(f"destroy {name}") as step:
            result = self.runner.cdk(
                "destroy", name, "--app", str(self.assembly), "--force", check=False
            )
            if result.returncode != 0:
                if not is_managed_policy_delete_conflict(result.output, self.stacks[name].template):
                    raise RehearsalFailedError(
                        f"cdk destroy {name} exited with {result.returncode}:\n"
                        f"{tail(result.output)}"
                    )
                self.report.note("managed-policy-delete-order", name)
            if not stack_is_gone(self.cloudformation, name):
                raise RehearsalFailedError(f"{name} still exists after cdk destroy")
            step.detail = "stack deleted"

    def check_leftovers(self) -> None:
        with self.step("check nothing is left behind") as step:
            leftovers = leftover_sagemaker_resources(self.sagemaker)
            if leftovers:
                listed = "; ".join(
                    f"{kind}: {', '.join(names)}" for kind, names in leftovers.items()
                )
                raise RehearsalFailedError(f"left behind after cdk destroy: {listed}")
            step.detail = "no SageMaker model, endpoint config or endpoint"

    def show_plan(self, plan: UpdatePlan, cli_diff: str) -> None:
        self.say("    cdk diff:")
        for line in cli_diff.strip().splitlines():
            if line.strip() and not line.startswith(("start:", "success:", "✨")):
                self.say(f"      | {line}")
        self.say("    plan (CloudFormation semantics; references to replaced resources followed):")
        for action in (
            Action.REPLACE,
            Action.MAY_REPLACE,
            Action.REMOVE,
            Action.ADD,
            Action.MODIFY,
        ):
            for change in plan.with_action(action):
                reasons = f"  ({'; '.join(change.reasons)})" if change.reasons else ""
                self.say(
                    f"      {action.value:<11} {change.resource_type:<32} {change.logical_id}"
                    f"{reasons}"
                )
        for change in plan.endpoint_downtime:
            banner = "!" * 78
            self.say(
                f"\n    {banner}\n    !!! WARNING: {change.resource_type} {change.logical_id} "
                f"would be {change.action.value.upper()}:\n    !!! the endpoint is deleted and "
                f"created anew and does not answer in between (downtime).\n    {banner}"
            )
        if not plan.endpoint_downtime:
            self.say("    the endpoint itself is updated in place: no downtime")


def load_rules() -> ReplacementRules:
    try:
        return ReplacementRules.from_spec_database()
    except OSError as error:
        raise UsageError(f"{SPEC_DATABASE}: {error.strerror}; run `make setup`") from None


# --- command line ---------------------------------------------------------------------------


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _memory_size(text: str) -> int:
    if not text.isdigit() or int(text) not in SERVERLESS_MEMORY_SIZES:
        sizes = ", ".join(map(str, SERVERLESS_MEMORY_SIZES))
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {sizes}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        description="Rehearse bootstrap, deploy, smoke test, update and destroy against moto.",
        epilog="Exit codes: 0 passed, 1 a step failed, 2 usage or set-up error.",
    )
    parser.add_argument(
        "--update-environment",
        default="dev",
        help="environment whose memory size the update changes",
    )
    parser.add_argument(
        "--update-memory",
        type=_memory_size,
        help="the new memory size in MB (default: one step from the current one)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every command's output")
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the temporary directory (logs, assemblies)"
    )
    return parser


def print_summary(report: Report) -> None:
    width = max([len(step.name) for step in report.steps] + [4])
    print(f"\n{'step':<{width}}  {'result':<6}  {'seconds':>7}")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 7}")
    for step in report.steps:
        print(f"{step.name:<{width}}  {'ok' if step.ok else 'FAILED':<6}  {step.seconds:>7.1f}")
    print(f"{'total':<{width}}  {'':<6}  {report.seconds:>7.1f}")
    if report.notes:
        print("\nExpected emulator notes (moto is not CloudFormation; none of these is a failure):")
        for note in report.notes.values():
            print(f"  [{note.key}] {note.text}")
            for detail in note.details:
                print(f"      - {detail}")
    if report.plan.get("endpoint_downtime"):
        print("\nWARNING: the planned update REPLACES the endpoint (downtime).")
    print("\nREHEARSAL PASSED" if report.ok else f"\nREHEARSAL FAILED: {report.error}")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def check_setup() -> None:
    for required in (NODE, CDK_CLI, SPEC_DATABASE):
        if not required.exists():
            raise UsageError(f"{required.relative_to(PROJECT_ROOT)} is missing; run `make setup`")


def rehearse(argv: Sequence[str] | None, report: Report) -> int:
    """Run the rehearsal into ``report``; returns the exit code."""
    workdir: Path | None = None
    keep_temp = False
    try:
        options = build_parser().parse_args(argv)
        keep_temp = options.keep_temp
        check_setup()
        workdir = Path(tempfile.mkdtemp(prefix="rehearse-"))
        Rehearsal(options, report).run(workdir)
        report.ok = True
        return EXIT_OK
    except UsageError as error:
        report.error = f"usage: {error}"
        return EXIT_USAGE
    except RehearsalFailedError as error:
        report.error, keep_temp = str(error), True
        return EXIT_FAILURE
    except KeyboardInterrupt:
        report.error = "interrupted"
        return 130
    except Exception as error:  # a bug or an emulator surprise: say what, keep the logs
        traceback.print_exc()
        report.error, keep_temp = f"unexpected {type(error).__name__}: {error}", True
        return EXIT_FAILURE
    finally:
        if workdir is not None and keep_temp:
            print(f"logs and cloud assemblies kept in {workdir}", file=sys.stderr)
        elif workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    report = Report()
    as_json = "--json" in (sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    # Ctrl-C, kill and a closed terminal all end as KeyboardInterrupt, so the moto server is
    # always stopped (set explicitly: a shell may start background jobs with SIGINT ignored).
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous_handlers = {sig: signal.signal(sig, _raise_interrupt) for sig in stop_signals}
    try:
        code = rehearse(argv, report)
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
    report.seconds = round(time.monotonic() - started, 1)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_summary(report)
    return code


if __name__ == "__main__":
    sys.exit(main())
