"""`make destroy` (scripts/deploy/destroy.py): what it lists, each refusal and its message, and
the check that the endpoint, endpoint configs and models are gone (botocore-stubbed clients)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scripts.deploy.cli import main_destroy
from scripts.deploy.destroy import DestroyOptions, Destruction
from scripts.deploy.errors import EXIT_OK, EXIT_REFUSED, FailedError, RefusedError
from scripts.deploy.guards import StackState, check_termination_protection
from scripts.deploy.progress import Progress
from tests.deploy_fakes import FakeRunner, FakeSession, write_assembly

STACK = "SageMakerServerless-dev"
RESOURCES = [
    ("Endpoint", "AWS::SageMaker::Endpoint", "ep-dev"),
    ("Config", "AWS::SageMaker::EndpointConfig", "cfg-dev"),
    ("Model", "AWS::SageMaker::Model", "model-dev"),
    ("Role", "AWS::IAM::Role", "role-dev"),
]
DESCRIBE = {
    "AWS::SageMaker::Endpoint": ("describe_endpoint", "EndpointName", "Could not find endpoint"),
    "AWS::SageMaker::EndpointConfig": (
        "describe_endpoint_config",
        "EndpointConfigName",
        "Could not find endpoint configuration",
    ),
    "AWS::SageMaker::Model": ("describe_model", "ModelName", "Could not find model"),
}


def test_a_protected_stack_is_refused_with_the_command_that_lifts_it() -> None:
    with pytest.raises(RefusedError) as refused:
        check_termination_protection(
            StackState(exists=True, status="CREATE_COMPLETE", termination_protection=True),
            stack_name="SageMakerServerless-prod",
            region="eu-west-1",
        )
    assert (
        "aws cloudformation update-termination-protection --no-enable-termination-protection "
        "--stack-name SageMakerServerless-prod --region eu-west-1" in str(refused.value)
    )
    check_termination_protection(
        StackState(exists=True, status="CREATE_COMPLETE"), stack_name="S", region="r"
    )


def stub_resources(session: FakeSession) -> None:
    session.stub(
        "cloudformation",
        "list_stack_resources",
        {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": logical,
                    "PhysicalResourceId": physical,
                    "ResourceType": kind,
                    "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
                    "ResourceStatus": "CREATE_COMPLETE",
                }
                for logical, kind, physical in RESOURCES
            ]
        },
    )


def stub_gone(session: FakeSession, *, left: str | None = None) -> None:
    for _, kind, physical in RESOURCES:
        if kind not in DESCRIBE:
            continue
        call, parameter, message = DESCRIBE[kind]
        if physical == left:
            session.stub("sagemaker", call, _described(kind, physical), **{parameter: physical})
        else:
            session.stub_error("sagemaker", call, "ValidationException", message)


def _described(kind: str, physical: str) -> dict[str, Any]:
    return {
        "EndpointName": physical,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{physical}",
        "EndpointConfigName": "cfg",
        "EndpointStatus": "InService",
        "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z",
    }


def destruction(
    tmp_path: Path,
    session: FakeSession,
    runner: FakeRunner,
    *,
    answer: str | None = "dev",
    said: list[str] | None = None,
    **options: Any,
) -> Destruction:
    messages = said if said is not None else []
    return Destruction(
        DestroyOptions(env="dev", output=tmp_path / "cdk.out", **options),
        session=session,
        runner=runner,
        progress=Progress(title="destroy dev", say=messages.append),
        ask=lambda prompt: answer,
    )


def runner_for(**assembly: Any) -> FakeRunner:
    return FakeRunner(assembly=lambda directory: write_assembly(directory, **assembly))


def test_destroy_lists_asks_destroys_and_confirms_gone(tmp_path: Path) -> None:
    session, runner = FakeSession(), runner_for()
    session.caller()
    session.stack("CREATE_COMPLETE")
    stub_resources(session)
    session.stack(None)  # after cdk destroy
    stub_gone(session)
    said: list[str] = []
    facts = destruction(tmp_path, session, runner, said=said).run()
    assert runner.kinds() == ["synth", "destroy"]
    destroy = runner.commands[-1]
    assert destroy[-4:] == [STACK, "--app", str(tmp_path / "cdk.out"), "--force"]
    listed = "\n".join(said)
    assert listed.index("AWS::SageMaker::Endpoint") < listed.index("AWS::IAM::Role")
    for physical in ("ep-dev", "cfg-dev", "model-dev"):
        assert physical in listed
    assert facts[-1] == (
        "confirmed gone: stack deleted; 3 SageMaker resources (Endpoint, EndpointConfig, Model) "
        "no longer found"
    )
    session.assert_no_pending()


@pytest.mark.parametrize(
    ("answer", "message"),
    [("prod", "not confirmed \\(typed 'prod', not 'dev'\\)"), (None, "no terminal to confirm")],
)
def test_destroy_without_the_typed_name_deletes_nothing(
    tmp_path: Path, answer: str | None, message: str
) -> None:
    session, runner = FakeSession(), runner_for()
    session.caller()
    session.stack("CREATE_COMPLETE")
    stub_resources(session)
    with pytest.raises(RefusedError, match=message):
        destruction(tmp_path, session, runner, answer=answer).run()
    assert "destroy" not in runner.kinds()


def test_destroy_refuses_a_protected_stack(tmp_path: Path) -> None:
    session, runner = FakeSession(), runner_for(environment="dev", termination_protection=True)
    session.caller()
    session.stack("UPDATE_COMPLETE", protected=True)
    with pytest.raises(RefusedError, match="--no-enable-termination-protection --stack-name"):
        destruction(tmp_path, session, runner, yes=True).run()
    assert "destroy" not in runner.kinds()


def test_destroy_reports_what_is_left_behind(tmp_path: Path) -> None:
    session, runner = FakeSession(), runner_for()
    session.caller()
    session.stack("CREATE_COMPLETE")
    stub_resources(session)
    session.stack(None)
    stub_gone(session, left="ep-dev")
    with pytest.raises(
        FailedError, match="still there after cdk destroy: AWS::SageMaker::Endpoint"
    ):
        destruction(tmp_path, session, runner, yes=True).run()


def test_destroy_of_a_missing_stack_says_so(tmp_path: Path) -> None:
    session, runner = FakeSession(), runner_for()
    session.caller()
    session.stack(None)
    facts = destruction(tmp_path, session, runner).run()
    assert facts == ["nothing to delete: the stack does not exist"]
    assert runner.kinds() == ["synth"]


def test_destroy_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session, runner = FakeSession(), runner_for(deployed_by="pipeline")
    session.caller()
    args = ["--env", "dev", "--output", str(tmp_path / "out"), "--yes"]
    code = main_destroy(args, environ={}, runner=runner, session_factory=lambda p: session)
    assert code == EXIT_REFUSED
    assert "deployed only by the pipeline" in capsys.readouterr().err

    session.caller()
    session.stack(None)
    code = main_destroy(
        args,
        environ={"ALLOW_PIPELINE_ENV": "1"},
        runner=runner,
        session_factory=lambda p: session,
    )
    assert code == EXIT_OK


def test_the_rehearsals_termination_protection_emulation(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto 5.2.5 lacks UpdateTerminationProtection and deletes protected stacks; the rehearsal's
    server patch adds the call and CloudFormation's refusal."""
    import json

    import boto3
    from botocore.exceptions import ClientError
    from moto.cloudformation import models, responses

    from scripts.rehearsal import moto_patches

    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    template = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    cloudformation.create_stack(StackName="p", TemplateBody=template)
    with pytest.raises(NotImplementedError, match="update_termination_protection"):
        cloudformation.update_termination_protection(
            StackName="p", EnableTerminationProtection=True
        )

    # Restored after the test: the patch is meant for the rehearsal's server process.
    monkeypatch.setattr(
        models.CloudFormationBackend, "delete_stack", models.CloudFormationBackend.delete_stack
    )
    monkeypatch.setattr(
        responses.CloudFormationResponse, "update_termination_protection", None, raising=False
    )
    moto_patches.install_termination_protection()
    cloudformation.update_termination_protection(StackName="p", EnableTerminationProtection=True)
    assert cloudformation.describe_stacks(StackName="p")["Stacks"][0]["EnableTerminationProtection"]
    with pytest.raises(
        ClientError, match=r"Stack \[p\] cannot be deleted while TerminationProtection"
    ):
        cloudformation.delete_stack(StackName="p")
    cloudformation.update_termination_protection(StackName="p", EnableTerminationProtection=False)
    cloudformation.delete_stack(StackName="p")
    assert cloudformation.describe_stacks()["Stacks"] == []
