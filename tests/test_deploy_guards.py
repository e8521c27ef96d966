"""`make deploy` (scripts/deploy/): every guard's refusal and its message, and the deploy's steps,
with botocore-stubbed clients and a fake command runner (the rehearsal runs it end to end)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scripts.deploy import assembly as deploy_assembly
from scripts.deploy.cli import deploy_options, main_deploy
from scripts.deploy.deploy import Deployment, DeployOptions
from scripts.deploy.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SMOKE_FAILED,
    EXIT_USAGE,
    RefusedError,
    UsageError,
)
from scripts.deploy.guards import (
    StackState,
    caller_account,
    check_account,
    check_owner,
    check_replacement,
    check_stack_state,
    first_failure,
)
from scripts.deploy.progress import Progress
from scripts.update_plan import ReplacementRules, plan_update
from tests.deploy_fakes import (
    ACCOUNT,
    OTHER_ACCOUNT,
    FakeRunner,
    FakeSession,
    endpoint_template,
    write_assembly,
)


@pytest.fixture(scope="module")
def rules() -> ReplacementRules:
    return ReplacementRules.from_spec_database()


def quiet_progress() -> Progress:
    return Progress(title="test", say=lambda message: None)


# --- the guards, one by one -------------------------------------------------------------------


def test_no_credentials_is_a_usage_error_saying_how_to_get_them() -> None:
    with pytest.raises(UsageError, match=r"no AWS credentials found; .*aws sso login"):
        caller_account(FakeSession(credentials=False))


def test_refused_credentials_are_a_usage_error_naming_the_code() -> None:
    session = FakeSession()
    session.stub_error("sts", "get_caller_identity", "ExpiredToken", "The token has expired")
    with pytest.raises(UsageError, match=r"refused the credentials \(ExpiredToken: The token"):
        caller_account(session)


def test_wrong_account_names_both_accounts() -> None:
    with pytest.raises(RefusedError) as refused:
        check_account(environment="prod", configured=OTHER_ACCOUNT, caller=ACCOUNT)
    message = str(refused.value)
    assert f"deploys to account {OTHER_ACCOUNT}" in message
    assert f"credentials are for account {ACCOUNT}" in message
    assert check_account(environment="dev", configured=ACCOUNT, caller=ACCOUNT).startswith(ACCOUNT)
    assert "pins none" in check_account(environment="dev", configured=None, caller=ACCOUNT)


def test_pipeline_owned_environment_is_refused_unless_allowed() -> None:
    with pytest.raises(RefusedError, match=r"deployed only by the pipeline.*ALLOW_PIPELINE_ENV=1"):
        check_owner(environment="prod", deployed_by="pipeline", allowed=False)
    assert "ALLOWED" in check_owner(environment="prod", deployed_by="pipeline", allowed=True)
    assert "allowed" in check_owner(environment="dev", deployed_by="anyone", allowed=False)


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("UPDATE_IN_PROGRESS", "wait stack-update-complete --stack-name S"),
        ("CREATE_IN_PROGRESS", "wait stack-create-complete --stack-name S"),
        ("UPDATE_ROLLBACK_IN_PROGRESS", "wait stack-rollback-complete --stack-name S"),
        ("DELETE_IN_PROGRESS", "wait stack-delete-complete"),
        ("ROLLBACK_IN_PROGRESS", "describe-stacks --stack-name S"),
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback --stack-name S"),
        ("ROLLBACK_FAILED", "it can only be deleted"),
    ],
)
def test_a_stack_that_cannot_take_an_update_is_refused_with_what_to_do(
    status: str, advice: str
) -> None:
    with pytest.raises(RefusedError, match=f"S is {status}") as refused:
        check_stack_state(StackState(exists=True, status=status), "S")
    assert advice in str(refused.value)


@pytest.mark.parametrize(
    "status", ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"]
)
def test_a_settled_stack_may_be_updated(status: str) -> None:
    assert check_stack_state(StackState(exists=True, status=status), "S") == status
    assert "created" in check_stack_state(StackState(exists=False), "S")


def test_an_endpoint_replacement_is_refused_unless_allowed(rules: ReplacementRules) -> None:
    plan = plan_update(endpoint_template("ep-a"), endpoint_template("ep-b"), rules)
    with pytest.raises(RefusedError) as refused:
        check_replacement(plan, stack_name="S", allowed=False)
    message = str(refused.value)
    assert "replace or delete the endpoint of S (Endpoint replace (EndpointName requires" in message
    assert "ALLOW_REPLACEMENT=1" in message
    assert "ALLOWED" in check_replacement(plan, stack_name="S", allowed=True)


def test_a_memory_change_is_not_an_endpoint_replacement(rules: ReplacementRules) -> None:
    plan = plan_update(endpoint_template(memory=2048), endpoint_template(memory=3072), rules)
    assert [c.logical_id for c in plan.replaced] == ["Config"]
    assert check_replacement(plan, stack_name="S", allowed=False) == "the endpoint is not replaced"


def test_the_first_failed_resource_is_the_cause_not_the_cancelled_ones() -> None:
    started = datetime(2026, 1, 1, tzinfo=UTC)

    def event(seconds: int, logical: str, status: str, reason: str = "") -> dict[str, Any]:
        return {
            "Timestamp": started + timedelta(seconds=seconds),
            "LogicalResourceId": logical,
            "ResourceType": "AWS::SageMaker::Endpoint" if logical == "Endpoint" else "AWS::X::Y",
            "ResourceStatus": status,
            "ResourceStatusReason": reason,
        }

    events = [  # newest first, as CloudFormation lists them
        event(9, "S", "UPDATE_ROLLBACK_COMPLETE"),
        event(5, "Other", "UPDATE_FAILED", "Resource update cancelled"),
        event(4, "Endpoint", "UPDATE_FAILED", "Cannot update in-progress endpoint"),
        event(-60, "Old", "CREATE_FAILED", "an earlier deploy's failure"),
    ]
    failed = first_failure(events, stack_name="S", since=started)
    assert failed is not None
    assert failed.describe() == (
        "Endpoint (AWS::SageMaker::Endpoint) UPDATE_FAILED: Cannot update in-progress endpoint"
    )
    assert first_failure(events[:1], stack_name="S", since=started) is None


# --- the facts read from the synthesized app ---------------------------------------------------


def test_prod_synthesizes_with_termination_protection(regional_app: Any) -> None:
    prod = deploy_assembly.read_stack(regional_app.outdir, "prod")
    dev = deploy_assembly.read_stack(regional_app.outdir, "dev")
    assert (prod.termination_protection, dev.termination_protection) == (True, False)
    assert (prod.account, prod.region) == (ACCOUNT, "us-east-1")
    assert prod.deployed_by == dev.deployed_by == "anyone"
    with pytest.raises(UsageError, match=r"ENV='nope' is not an environment .*dev, staging, prod"):
        deploy_assembly.read_stack(regional_app.outdir, "nope")


def test_the_assembly_constants_match_the_stacks() -> None:
    from stacks.config import STACK_NAME_PREFIX
    from stacks.serverless_stack import DEPLOYED_BY_METADATA

    assert deploy_assembly.STACK_NAME_PREFIX == STACK_NAME_PREFIX
    assert deploy_assembly.DEPLOYED_BY_METADATA == DEPLOYED_BY_METADATA


def test_the_environment_table_rejects_bad_guard_fields() -> None:
    from stacks.config import ENVIRONMENTS, EnvironmentConfig

    bad = EnvironmentConfig(
        name="x",
        memory_size_in_mb=2048,
        max_concurrency=1,
        termination_protection="yes",  # type: ignore[arg-type]
        deployed_by="robots",  # type: ignore[arg-type]
    )
    assert bad.problems() == [
        "termination_protection must be True or False (bool), got str 'yes'",
        "deployed_by='robots' is not allowed; use 'anyone' or 'pipeline'",
    ]
    protected = {config.name: config.termination_protection for config in ENVIRONMENTS}
    assert protected == {"dev": False, "staging": False, "prod": True}


# --- the deploy, step by step -------------------------------------------------------------------


def deployment(
    tmp_path: Path,
    session: FakeSession,
    runner: FakeRunner,
    rules: ReplacementRules,
    **options: Any,
) -> Deployment:
    return Deployment(
        DeployOptions(env="dev", output=tmp_path / "cdk.out", **options),
        session=session,
        runner=runner,
        progress=quiet_progress(),
        rules=lambda: rules,
        lint=lambda path, region: "lint stubbed",
    )


def runner_for(**assembly: Any) -> FakeRunner:
    return FakeRunner(assembly=lambda directory: write_assembly(directory, **assembly))


def test_a_wrong_account_deploy_is_refused_before_anything_changes(
    tmp_path: Path, rules: ReplacementRules
) -> None:
    session, runner = FakeSession(), runner_for(account=OTHER_ACCOUNT)
    session.caller(ACCOUNT)
    with pytest.raises(RefusedError, match=f"deploys to account {OTHER_ACCOUNT}"):
        deployment(tmp_path, session, runner, rules).run()
    assert runner.kinds() == ["synth"]


def test_a_pipeline_owned_deploy_is_refused_then_allowed(
    tmp_path: Path, rules: ReplacementRules
) -> None:
    session, runner = FakeSession(), runner_for(deployed_by="pipeline")
    session.caller()
    with pytest.raises(RefusedError, match="deployed only by the pipeline"):
        deployment(tmp_path, session, runner, rules).run()
    assert "deploy" not in runner.kinds()

    session.caller()
    session.stack(None)  # a new stack: no live template to compare
    session.stack("CREATE_COMPLETE")  # after the deploy
    facts = deployment(tmp_path, session, runner, rules, allow_pipeline_owned=True).run()
    assert runner.kinds()[-4:] == ["synth", "preflight", "deploy", "smoke"]
    assert facts[0] == "changes: 3 add"
    session.assert_no_pending()


def live_stack(session: FakeSession, template: dict[str, Any]) -> None:
    import json

    session.stack("UPDATE_COMPLETE")
    session.stub(
        "cloudformation",
        "get_template",
        {"TemplateBody": json.dumps(template)},
        StackName="SageMakerServerless-dev",
        TemplateStage="Original",
    )


def test_an_endpoint_replacement_is_refused_then_deployed_when_allowed(
    tmp_path: Path, rules: ReplacementRules
) -> None:
    runner = runner_for(template=endpoint_template("ep-b"))
    session = FakeSession()
    session.caller()
    live_stack(session, endpoint_template("ep-a"))
    with pytest.raises(RefusedError, match="would replace or delete the endpoint"):
        deployment(tmp_path, session, runner, rules).run()
    assert "deploy" not in runner.kinds()
    assert "preflight" not in runner.kinds()

    session.caller()
    live_stack(session, endpoint_template("ep-a"))
    session.stack("UPDATE_COMPLETE")
    facts = deployment(tmp_path, session, runner, rules, allow_replacement=True).run()
    assert "the endpoint was REPLACED (allowed by ALLOW_REPLACEMENT=1)" in facts
    deploy = next(args for args in runner.commands if FakeRunner.kind(args) == "deploy")
    assert deploy[deploy.index("--require-approval") + 1] == "broadening"
    assert deploy[deploy.index("--app") + 1] == str(tmp_path / "cdk.out")


def test_a_stuck_stack_is_refused(tmp_path: Path, rules: ReplacementRules) -> None:
    session, runner = FakeSession(), runner_for()
    session.caller()
    session.stack("UPDATE_ROLLBACK_FAILED")
    with pytest.raises(RefusedError, match="continue-update-rollback"):
        deployment(tmp_path, session, runner, rules).run()


def test_a_quota_that_does_not_fit_is_refused(tmp_path: Path, rules: ReplacementRules) -> None:
    session, runner = FakeSession(), runner_for()
    runner.codes["preflight"] = 1
    session.caller()
    session.stack(None)
    with pytest.raises(RefusedError, match="does not fit the account's serverless concurrency"):
        deployment(tmp_path, session, runner, rules).run()
    assert "deploy" not in runner.kinds()


def test_a_rolled_back_deploy_names_the_failing_resource(
    tmp_path: Path, rules: ReplacementRules
) -> None:
    session, runner = FakeSession(), runner_for(template=endpoint_template(memory=3072))
    runner.codes["deploy"] = 1
    session.caller()
    live_stack(session, endpoint_template(memory=2048))
    session.stack("UPDATE_ROLLBACK_COMPLETE")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    session.stub(
        "cloudformation",
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": "id",
                    "EventId": "e1",
                    "StackName": "SageMakerServerless-dev",
                    "Timestamp": now + timedelta(seconds=30),
                    "LogicalResourceId": "Config",
                    "ResourceType": "AWS::SageMaker::EndpointConfig",
                    "ResourceStatus": "CREATE_FAILED",
                    "ResourceStatusReason": "Memory size 3072 exceeds the account limit",
                }
            ]
        },
    )
    run = deployment(tmp_path, session, runner, rules)
    run.now = lambda: now
    with pytest.raises(
        Exception, match="exited with 1; the stack is UPDATE_ROLLBACK_COMPLETE"
    ) as e:
        run.run()
    assert (
        "failing resource: Config (AWS::SageMaker::EndpointConfig) CREATE_FAILED: Memory size "
        "3072 exceeds the account limit" in str(e.value)
    )
    assert "rolled back: the stack runs what it ran before" in str(e.value)


def _main(tmp_path: Path, argv: list[str], session: FakeSession, runner: FakeRunner) -> int:
    return main_deploy(
        ["--env", "dev", "--output", str(tmp_path / "out"), *argv],
        environ={},
        runner=runner,
        session_factory=lambda profile: session,
    )


def test_exit_codes_of_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session, runner = FakeSession(credentials=False), runner_for()
    assert _main(tmp_path, [], session, runner) == EXIT_USAGE
    assert "no AWS credentials found" in capsys.readouterr().err

    session, runner = FakeSession(), runner_for(account=OTHER_ACCOUNT)
    session.caller()
    assert _main(tmp_path, ["--json"], session, runner) == EXIT_REFUSED
    captured = capsys.readouterr()
    assert "REFUSED (exit 3" in captured.err
    assert '"exit_code": 3' in captured.out

    session, runner = FakeSession(), runner_for()
    runner.codes["synth"] = 1
    session.caller()
    assert _main(tmp_path, [], session, runner) == EXIT_FAILED


def test_a_failed_smoke_test_after_a_deploy_is_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scripts.deploy.deploy.check_lint", lambda path, region: "stubbed")
    monkeypatch.setattr("scripts.deploy.deploy.load_rules", ReplacementRules.from_spec_database)
    session, runner = FakeSession(), runner_for()
    runner.codes["smoke"] = 3
    session.caller()
    session.stack(None)
    session.stack("CREATE_COMPLETE")
    code = main_deploy(
        ["--env", "dev", "--output", str(tmp_path / "out"), "--yes"],
        environ={},
        runner=runner,
        session_factory=lambda profile: session,
    )
    assert code == EXIT_SMOKE_FAILED
    err = capsys.readouterr().err
    assert "smoke test: exit 3 (drift" in err
    assert "the stack IS deployed" in err
    deploy = next(args for args in runner.commands if FakeRunner.kind(args) == "deploy")
    assert deploy[deploy.index("--require-approval") + 1] == "never"


def test_overrides_come_from_the_environment_too() -> None:
    options = deploy_options(
        ["--env", "dev"], {"ALLOW_REPLACEMENT": "1", "ALLOW_PIPELINE_ENV": "1"}
    )
    assert (options.allow_replacement, options.allow_pipeline_owned) == (True, True)
    options = deploy_options(["--env", "dev"], {"ALLOW_REPLACEMENT": "0"})
    assert (options.allow_replacement, options.allow_pipeline_owned) == (False, False)
    assert EXIT_OK == 0


def test_the_rehearsal_scenarios_overrides() -> None:
    from scripts.deploy.errors import EXIT_REFUSED as DEPLOY_EXIT_REFUSED
    from scripts.rehearsal import guard_steps, update_app
    from stacks.config import ENVIRONMENTS

    assert guard_steps.EXIT_REFUSED == DEPLOY_EXIT_REFUSED
    changed = update_app.with_guard_overrides(
        ENVIRONMENTS, account="staging=210987654321", deployed_by="dev=pipeline"
    )
    by_name = {environment.name: environment for environment in changed}
    assert by_name["staging"].account == "210987654321"
    assert by_name["dev"].deployed_by == "pipeline"
    assert by_name["prod"] == next(e for e in ENVIRONMENTS if e.name == "prod")
    assert update_app.with_guard_overrides(ENVIRONMENTS, account=None, deployed_by=None) == (
        ENVIRONMENTS
    )
    with pytest.raises(update_app.OverrideError, match="ENVIRONMENT=VALUE"):
        update_app.with_guard_overrides(ENVIRONMENTS, account="staging", deployed_by=None)
    with pytest.raises(update_app.OverrideError, match="no environment"):
        update_app.with_guard_overrides(ENVIRONMENTS, account=None, deployed_by="qa=pipeline")


def test_a_given_assembly_is_linted_not_synthesized(
    tmp_path: Path, rules: ReplacementRules
) -> None:
    given = tmp_path / "given"
    write_assembly(given, deployed_by="pipeline")
    linted: list[tuple[Path, str]] = []

    def lint(path: Path, region: str) -> str:
        linted.append((path, region))
        return "linted"

    session, runner = FakeSession(), runner_for()
    session.caller()
    run = Deployment(
        DeployOptions(env="dev", assembly=given),
        session=session,
        runner=runner,
        progress=quiet_progress(),
        rules=lambda: rules,
        lint=lint,
    )
    with pytest.raises(RefusedError, match="deployed only by the pipeline"):
        run.run()
    assert runner.commands == []
    assert linted == [(given / "SageMakerServerless-dev.template.json", "us-east-1")]
