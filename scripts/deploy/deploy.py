"""``make deploy ENV=<name>``: one environment, with the pipeline's checks and the guards.

Steps (each numbered and timed on stderr): credentials; synth (the app's cdk-nag packs run in
it) and cfn-lint; account; owner (pipeline-only environments); stack state; plan (what the update
does to each resource, against the live stack's template; an Endpoint replacement is refused
unless allowed); quota preflight; ``cdk deploy`` (IAM changes shown for approval, as the CLI
does); smoke test with the live-configuration check. Then one summary.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.deploy.assembly import StackFacts, check_lint, read_stack
from scripts.deploy.errors import FailedError, RefusedError, SmokeFailedError, UsageError
from scripts.deploy.guards import (
    caller_account,
    check_account,
    check_owner,
    check_replacement,
    check_stack_state,
    first_failure,
    stack_events,
    stack_state,
)
from scripts.deploy.progress import Progress
from scripts.deploy.runner import Runner, cdk, python_module, tail
from scripts.update_plan import (
    SPEC_DATABASE,
    Action,
    ReplacementRules,
    UpdatePlan,
    plan_update,
)


@dataclass(frozen=True, kw_only=True)
class DeployOptions:
    env: str
    profile: str | None = None
    app: str | None = None  # a CDK app command (default: cdk.json's, i.e. app.py)
    context: tuple[str, ...] = ()  # -c KEY=VALUE for the synth
    allow_replacement: bool = False
    allow_pipeline_owned: bool = False
    yes: bool = False  # no approval prompt: `--require-approval never`
    method: str | None = None  # cdk deploy --method (change-set by default)
    cdk_deploy_args: tuple[str, ...] = ()
    emulate_quota: int | None = None  # AWS emulators only (the preflight says EMULATED)
    smoke_args: tuple[str, ...] = ()
    output: Path | None = None  # where the cloud assembly goes (default: a temporary directory)
    # A cloud assembly `cdk synth` already wrote (the rehearsal's): read, linted, not synthesized.
    assembly: Path | None = None


def synth_command(options: DeployOptions | Any, output: Path) -> list[str]:
    args = ["synth", "--quiet", "--output", str(output)]
    if options.app:
        args += ["--app", options.app]
    for value in options.context:
        args += ["-c", value]
    if options.profile:
        args += ["--profile", options.profile]
    return cdk(*args)


Lint = Callable[[Path, str], str]


def synthesize(
    options: DeployOptions | Any,
    output: Path,
    *,
    runner: Runner,
    progress: Progress,
    lint: Lint | None,
) -> StackFacts:
    """Synthesize the app (its cdk-nag packs fail the synth on a finding), read the stack, and
    (``lint``) cfn-lint its template. With ``options.assembly``: that assembly, not synthesized."""
    given: Path | None = options.assembly
    name = "synth" if given is None else "cloud assembly (given, not synthesized)"
    with progress.step(f"{name} and cfn-lint" if lint else name) as step:
        if given is None:
            result = runner(synth_command(options, output), capture=True)
            if result.returncode != 0:
                raise FailedError(
                    f"cdk synth exited with {result.returncode}:\n{tail(result.output)}"
                )
        facts = read_stack(given or output, options.env)
        step.detail = facts.stack_name if given is None else f"{facts.stack_name} from {given}"
        if lint is not None:
            # An agnostic template is linted in us-east-1 (tests lint it in five regions).
            step.detail += f"; {lint(facts.template_path, facts.region or 'us-east-1')}"
    return facts


@dataclass(frozen=True)
class Target:
    """The stack a deploy or destroy acts on, once the steps both share have passed."""

    caller: str  # the caller's account
    facts: StackFacts
    region: str
    output: Path  # the cloud assembly
    cloudformation: Any


@contextmanager
def checked_target(
    options: DeployOptions | Any,
    *,
    session: Any,
    runner: Runner,
    progress: Progress,
    lint: Lint | None,
    prefix: str,
) -> Iterator[Target]:
    """The steps deploy and destroy share: credentials, synth (and lint), account, owner. The
    cloud assembly lives until the block ends."""
    with progress.step("credentials") as step:
        caller = caller_account(session)
        step.detail = f"caller account {caller}"
    with tempfile.TemporaryDirectory(prefix=prefix) as temporary:
        output = options.assembly or options.output or Path(temporary) / "cdk.out"
        facts = synthesize(options, output, runner=runner, progress=progress, lint=lint)
        region = facts.region or session.region_name
        if not region:
            raise UsageError(
                f"no region for {facts.stack_name}: set region= in stacks/config.py, or "
                "AWS_REGION / your profile's region"
            )
        with progress.step("account") as step:
            step.detail = check_account(
                environment=options.env, configured=facts.account, caller=caller
            )
        with progress.step("owner") as step:
            step.detail = check_owner(
                environment=options.env,
                deployed_by=facts.deployed_by,
                allowed=options.allow_pipeline_owned,
            )
        cloudformation = session.client("cloudformation", region_name=region)
        yield Target(caller, facts, region, output, cloudformation)


def load_rules() -> ReplacementRules:
    try:
        return ReplacementRules.from_spec_database()
    except OSError as error:
        raise UsageError(f"{SPEC_DATABASE}: {error.strerror}; run `make setup`") from None


def live_template(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    body = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")
    template = body["TemplateBody"]
    return json.loads(template) if isinstance(template, str) else dict(template)


def plan_lines(plan: UpdatePlan) -> list[str]:
    order = (Action.REPLACE, Action.MAY_REPLACE, Action.REMOVE, Action.ADD, Action.MODIFY)
    lines = []
    for action in order:
        for change in plan.with_action(action):
            reasons = f"  ({'; '.join(change.reasons)})" if change.reasons else ""
            lines.append(
                f"{action.value:<11} {change.resource_type:<36} {change.logical_id}{reasons}"
            )
    return lines


def plan_summary(plan: UpdatePlan) -> str:
    if not plan.changes:
        return "no resource changes"
    counts = {action: len(plan.with_action(action)) for action in Action}
    return ", ".join(f"{count} {action.value}" for action, count in counts.items() if count)


class Deployment:
    """One ``make deploy``: ``run()`` returns the summary facts or raises a StepError."""

    def __init__(
        self,
        options: DeployOptions,
        *,
        session: Any,
        runner: Runner,
        progress: Progress,
        rules: Callable[[], ReplacementRules] = load_rules,
        lint: Lint = check_lint,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.options = options
        self.session = session
        self.runner = runner
        self.progress = progress
        self.rules = rules
        self.lint = lint
        self.now = now
        self.facts: list[str] = []

    def run(self) -> list[str]:
        with checked_target(
            self.options,
            session=self.session,
            runner=self.runner,
            progress=self.progress,
            lint=self.lint,
            prefix="deploy-",
        ) as target:
            facts, cloudformation = target.facts, target.cloudformation
            with self.progress.step("stack state") as step:
                state = stack_state(cloudformation, facts.stack_name)
                step.detail = check_stack_state(state, facts.stack_name)
            plan = self._plan(cloudformation, facts, exists=state.exists)
            self._preflight(target.region)
            self._deploy(cloudformation, facts, target.output, plan)
        self._smoke(facts.stack_name, target.region)
        return self.facts

    def _plan(self, cloudformation: Any, facts: StackFacts, *, exists: bool) -> UpdatePlan:
        with self.progress.step("plan against the live stack") as step:
            deployed = live_template(cloudformation, facts.stack_name) if exists else {}
            plan = plan_update(deployed, facts.template, self.rules())
            for line in plan_lines(plan):
                self.progress.say(f"    {line}")
            step.detail = plan_summary(plan)
            self.facts.append(f"changes: {plan_summary(plan)}")
            verdict = check_replacement(
                plan, stack_name=facts.stack_name, allowed=self.options.allow_replacement
            )
            step.detail += f"; {verdict}"
        return plan

    def _preflight(self, region: str) -> None:
        with self.progress.step("quota preflight") as step:
            args = ["--env", self.options.env, "--region", region]
            if self.options.profile:
                args += ["--profile", self.options.profile]
            if self.options.emulate_quota is not None:
                args += ["--emulate-quota", str(self.options.emulate_quota)]
            result = self.runner(python_module("scripts.preflight", *args), capture=True)
            for line in result.output.strip().splitlines():
                self.progress.say(f"    | {line}")
            if result.returncode == 1:
                raise RefusedError(
                    "the quota preflight says this deploy does not fit the account's serverless "
                    "concurrency quota (above); lower max_concurrency or raise the quota"
                )
            if result.returncode != 0:
                raise FailedError(
                    f"the quota preflight could not check (exit {result.returncode}; above)"
                )
            step.detail = "fits the serverless concurrency quota"
            if self.options.emulate_quota is not None:
                step.detail += f" (EMULATED quota {self.options.emulate_quota})"

    def _deploy(
        self, cloudformation: Any, facts: StackFacts, assembly: Path, plan: UpdatePlan
    ) -> None:
        options = self.options
        approval = "never" if options.yes else "broadening"
        args = ["deploy", facts.stack_name, "--app", str(assembly), "--require-approval", approval]
        if options.method:
            args.append(f"--method={options.method}")
        if options.profile:
            args += ["--profile", options.profile]
        args += list(options.cdk_deploy_args)
        with self.progress.step(f"cdk deploy {facts.stack_name}") as step:
            if options.yes:
                self.progress.say("    --yes: IAM and security changes are NOT shown for approval")
            started = self.now()
            result = self.runner(cdk(*args), capture=False)
            if result.returncode != 0:
                raise FailedError(self._deploy_failure(cloudformation, facts, started, result))
            status = stack_state(cloudformation, facts.stack_name).status
            step.detail = status
            self.facts.append(f"stack {facts.stack_name}: {status}")
            if plan.endpoint_downtime:
                self.facts.append("the endpoint was REPLACED (allowed by ALLOW_REPLACEMENT=1)")

    def _deploy_failure(
        self, cloudformation: Any, facts: StackFacts, started: datetime, result: Any
    ) -> str:
        message = f"cdk deploy {facts.stack_name} exited with {result.returncode}"
        state = stack_state(cloudformation, facts.stack_name)
        failed = first_failure(
            stack_events(cloudformation, facts.stack_name),
            stack_name=facts.stack_name,
            since=started,
        )
        if state.exists:
            message += f"; the stack is {state.status}"
        if failed is not None:
            message += f"\n    failing resource: {failed.describe()}"
        elif result.output:
            message += f":\n{tail(result.output)}"
        if state.status == "UPDATE_ROLLBACK_COMPLETE":
            message += "\n    the update was rolled back: the stack runs what it ran before"
        return message

    def _smoke(self, stack_name: str, region: str) -> None:
        from scripts.smoke.errors import EXIT_MEANINGS

        with self.progress.step(f"smoke test {stack_name}") as step:
            args = ["--stack", stack_name, "--region", region]
            if self.options.profile:
                args += ["--profile", self.options.profile]
            args += list(self.options.smoke_args)
            result = self.runner(python_module("scripts.smoke_test", *args), capture=True)
            for line in result.output.strip().splitlines():
                self.progress.say(f"    | {line}")
            meaning = EXIT_MEANINGS.get(result.returncode, f"exit {result.returncode}")
            self.facts.append(f"smoke test: exit {result.returncode} ({meaning})")
            if result.returncode != 0:
                raise SmokeFailedError(
                    f"the smoke test of {stack_name} failed (exit {result.returncode}: "
                    f"{meaning}); the stack IS deployed"
                )
            step.detail = "passed, live configuration matches the stack"
