"""scripts/rehearse.py, scripts/rehearsal/: the offline deploy rehearsal, end to end and piece by
piece.

The end-to-end test (marker ``rehearsal``) drives the real CDK CLI against a moto server. The
other tests make each check fail on purpose against moto's in-process mock, so a rehearsal that
stopped noticing a broken deploy, update or destroy would fail here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.cloudformation import parsing

from sagemaker_serverless._limits import MEMORY_SIZES_IN_MB
from scripts import rehearse
from scripts.rehearsal import (
    assembly,
    checks,
    cli,
    commands,
    moto_patches,
    moto_placeholders,
    settings,
    update_app,
)
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.moto_server import MotoServer
from scripts.rehearsal.notes import NOTES
from scripts.rehearsal.report import Report
from scripts.rehearsal.sequence import Rehearsal
from scripts.update_plan import ReplacementRules, plan_update
from stacks.config import ENVIRONMENTS, STACK_NAME_PREFIX
from stacks.serverless_stack import OUTPUT_ENDPOINT_NAME
from tests.background import JobResult

REGION = "us-east-1"


def test_constants_match_the_stacks_and_helpers() -> None:
    assert settings.STACK_NAME_PREFIX == STACK_NAME_PREFIX
    assert settings.OUTPUT_ENDPOINT_NAME == OUTPUT_ENDPOINT_NAME
    assert settings.SERVERLESS_MEMORY_SIZES == MEMORY_SIZES_IN_MB
    # The update app's context key (settings.py) and the placeholder marker (moto_patches.py)
    # now have one definition each, shared by the rehearsal and its subprocesses.


def test_every_emulator_patch_has_a_note_and_a_marker_of_its_own() -> None:
    markers = [moto_patches.PLACEHOLDER_MARKER] + [p.marker for p in moto_patches.PATCHES]
    for patch in moto_patches.PATCHES:
        assert patch.note in NOTES, f"notes.NOTES has no text for {patch.note!r}"
        assert not [other for other in markers if other != patch.marker and patch.marker in other]
    assert len(set(markers)) == len(markers)


def test_the_rehearsal_itself_imports_neither_moto_nor_aws_cdk(project_root: Path) -> None:
    # moto (about 2 s) runs in the server process, aws_cdk in the CDK CLI's app process.
    code = (
        "import sys, scripts.rehearse, scripts.rehearsal.moto_patches; "
        "heavy = {'moto', 'aws_cdk'} & set(sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], cwd=project_root, check=True)


def test_cli_environment_uses_the_emulator_and_nothing_of_the_users_setup(
    tmp_path: Path,
) -> None:
    user = {
        "PATH": "/usr/bin",
        "HOME": "/home/someone",
        "LANG": "C.UTF-8",
        "AWS_PROFILE": "production",
        "AWS_ACCESS_KEY_ID": "AKIAREAL",
        "AWS_SESSION_TOKEN": "real-token",
        "CDK_DEFAULT_ACCOUNT": "999999999999",
    }
    env = commands.cli_environment(endpoint_url="http://localhost:1234", home=tmp_path, base=user)

    assert "AWS_PROFILE" not in env
    assert "AWS_SESSION_TOKEN" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_ENDPOINT_URL"] == "http://localhost:1234"
    assert env["CDK_DEFAULT_ACCOUNT"] == settings.ACCOUNT
    assert env["HOME"] == str(tmp_path)
    assert env["AWS_CONFIG_FILE"].startswith(str(tmp_path))
    assert env["PATH"].split(os.pathsep)[0] == str(settings.VENV_BIN)
    assert env["LANG"] == "C.UTF-8"
    # jsii keeps using the user's package cache, so synth does not unpack aws-cdk-lib anew.
    assert env["JSII_RUNTIME_PACKAGE_CACHE_ROOT"].startswith("/home/someone/")


@pytest.mark.parametrize(("current", "expected"), [(1024, 2048), (2048, 3072), (6144, 5120)])
def test_next_memory_size(current: int, expected: int) -> None:
    assert assembly.next_memory_size(current) == expected


def test_rehearsal_app_memory_override() -> None:
    assert update_app.with_memory_override(ENVIRONMENTS, None) == ENVIRONMENTS
    changed = update_app.with_memory_override(ENVIRONMENTS, "staging=4096")
    assert [e.memory_size_in_mb for e in changed if e.name == "staging"] == [4096]
    assert [e for e in changed if e.name != "staging"] == [
        e for e in ENVIRONMENTS if e.name != "staging"
    ]
    for bad in ("dev", "dev=", "=3072", "dev=lots"):
        with pytest.raises(update_app.OverrideError, match="ENVIRONMENT=MEGABYTES"):
            update_app.parse_memory_override(bad)
    with pytest.raises(update_app.OverrideError, match="no environment 'qa'"):
        update_app.with_memory_override(ENVIRONMENTS, "qa=2048")


def test_usage_error_exits_2_before_starting_anything(capsys: pytest.CaptureFixture[str]) -> None:
    assert rehearse.main(["--update-memory", "1000"]) == 2
    captured = capsys.readouterr()
    assert "is not one of 1024, 2048" in captured.out
    assert "Traceback" not in captured.err


# --- checks against moto's in-process mock ----------------------------------------------------


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def serverless_template(memory: int) -> dict[str, Any]:
    """A miniature of the stacks: role, model, serverless config, endpoint, output."""
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "sagemaker.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                },
            },
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {
                    "ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "PrimaryContainer": {"Image": "img:1", "ModelDataUrl": "s3://b/m.tar.gz"},
                },
            },
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {
                    "ProductionVariants": [
                        {
                            "VariantName": "AllTraffic",
                            "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                            "InitialVariantWeight": 1,
                            "ServerlessConfig": {"MemorySizeInMB": memory, "MaxConcurrency": 2},
                        }
                    ]
                },
            },
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "Properties": {
                    "EndpointName": "fixed-name",
                    "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                },
            },
        },
        "Outputs": {"EndpointName": {"Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}}},
    }


def create_stack(name: str, template: dict[str, Any]) -> None:
    client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))


def check_deployed(
    template: dict[str, Any], report: Report, not_emulated: set[str] | None = None
) -> dict[str, str]:
    return checks.check_deployed_stack(
        client("cloudformation"),
        stack_name="s",
        template=template,
        not_emulated_types=not_emulated or set(),
        expected_status="CREATE_COMPLETE",
        report=report,
    )


@pytest.mark.usefixtures("aws")
def test_deployed_stack_check_passes_and_notes_moto_endpoint_names() -> None:
    template = serverless_template(2048)
    create_stack("s", template)
    report = Report()

    outputs = check_deployed(template, report)
    checks.check_endpoint_names(
        stack_name="s", template=template, endpoint_name=outputs["EndpointName"], report=report
    )

    assert outputs["EndpointName"].startswith("s-Endpoint-")
    assert list(report.notes) == ["endpoint-name"]


@pytest.mark.usefixtures("aws")
def test_deployed_stack_check_fails_on_a_missing_resource_or_status() -> None:
    deployed = serverless_template(2048)
    create_stack("s", deployed)
    expected = json.loads(json.dumps(deployed))
    expected["Resources"]["Extra"] = {"Type": "AWS::SNS::Topic", "Properties": {}}

    with pytest.raises(RehearsalFailedError, match=r"Extra \(AWS::SNS::Topic\) is in the templ"):
        check_deployed(expected, Report())
    with pytest.raises(RehearsalFailedError, match="s is CREATE_COMPLETE, not UPDATE_COMPLETE"):
        checks.check_deployed_stack(
            client("cloudformation"),
            stack_name="s",
            template=deployed,
            not_emulated_types=set(),
            expected_status="UPDATE_COMPLETE",
            report=Report(),
        )


@pytest.mark.usefixtures("aws")
@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")  # moto skipping the Alarm
def test_types_moto_skips_are_noted_not_passed_silently() -> None:
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"AlarmActions": [{"Ref": "Topic"}], "Threshold": 1},
            },
        },
        "Outputs": {"AlarmName": {"Value": {"Ref": "Alarm"}}},
    }
    with pytest.warns(UserWarning, match="AWS::CloudWatch::Alarm"):
        create_stack("s", template)

    with pytest.raises(RehearsalFailedError, match="Alarm"):
        check_deployed(template, Report())  # not known as not emulated: a real failure
    report = Report()
    check_deployed(template, report, not_emulated={"AWS::CloudWatch::Alarm"})
    assert report.notes["not-emulated"].details == [
        "AWS::CloudWatch::Alarm",
        "output AlarmName dropped (reads Alarm)",
    ]


@pytest.mark.usefixtures("aws")
def test_placeholders_let_moto_deploy_templates_that_read_unsupported_types(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        parsing, "resource_class_from_type", moto_placeholders.resource_class_from_type
    )
    monkeypatch.setattr(moto_patches, "_announced", set())
    template = {
        "Resources": {
            "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Threshold": 1}},
            "Dashboard": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {
                    "DashboardBody": {
                        "Fn::Join": ["", ['{"alarm":"', {"Fn::GetAtt": ["Alarm", "Arn"]}, '"}']]
                    }
                },
            },
        }
    }
    create_stack("s", template)  # without the placeholder: "Fn::GetAtt references undefined"

    report = Report()
    check_deployed(template, report, not_emulated={"AWS::CloudWatch::Alarm"})
    assert report.notes["not-emulated"].details == ["AWS::CloudWatch::Alarm"]
    assert f"{moto_patches.PLACEHOLDER_MARKER} AWS::CloudWatch::Alarm" in capsys.readouterr().err
    (dashboard,) = client("cloudwatch").list_dashboards()["DashboardEntries"]
    body = client("cloudwatch").get_dashboard(DashboardName=dashboard["DashboardName"])
    assert ":placeholder/s-Alarm-" in body["DashboardBody"]
    client("cloudformation").delete_stack(StackName="s")
    assert checks.stack_is_gone(client("cloudformation"), "s")


def update_to(memory: int) -> dict[str, Any]:
    template = serverless_template(memory)
    client("cloudformation").update_stack(StackName="s", TemplateBody=json.dumps(template))
    return template


def check_update(
    template: dict[str, Any], plan: Any, ids_before: dict[str, str], memory: int, report: Report
) -> list[str]:
    endpoint = checks.stack_physical_ids(client("cloudformation"), "s")["Endpoint"]
    return checks.check_update_applied(
        client("cloudformation"),
        client("sagemaker"),
        stack_name="s",
        template=template,
        plan=plan,
        ids_before=ids_before,
        memory_size_in_mb=memory,
        endpoint_name=endpoint.split("/")[-1],
        not_emulated_types=set(),
        report=report,
    )


@pytest.mark.usefixtures("aws", "repaired_moto")
def test_update_check_passes_when_the_config_carries_the_new_memory() -> None:
    old = serverless_template(2048)
    create_stack("s", old)
    ids_before = checks.stack_physical_ids(client("cloudformation"), "s")
    new = update_to(3072)
    plan = plan_update(old, new, ReplacementRules.from_spec_database())
    report = Report()

    verified = check_update(new, plan, ids_before, 3072, report)

    assert len(verified) == 2
    assert verified[0].endswith(": 3072 MB")
    # The endpoint follows its replaced config, as CloudFormation updates it in place.
    assert verified[1].startswith("endpoint ")
    assert list(report.notes) == []


@pytest.mark.usefixtures("aws")
def test_update_check_fails_when_the_endpoint_stays_on_the_old_config() -> None:
    # Unrepaired moto leaves the endpoint on the replaced config: CloudFormation would not.
    old = serverless_template(2048)
    create_stack("s", old)
    ids_before = checks.stack_physical_ids(client("cloudformation"), "s")
    new = update_to(3072)
    plan = plan_update(old, new, ReplacementRules.from_spec_database())
    with pytest.raises(
        RehearsalFailedError, match=r"still serves .*, not the updated EndpointConfig"
    ):
        check_update(new, plan, ids_before, 3072, Report())


@pytest.mark.usefixtures("aws")
def test_update_check_fails_on_wrong_memory_or_unplanned_changes() -> None:
    old = serverless_template(2048)
    create_stack("s", old)
    ids_before = checks.stack_physical_ids(client("cloudformation"), "s")
    new = update_to(3072)
    plan = plan_update(old, new, ReplacementRules.from_spec_database())

    with pytest.raises(RehearsalFailedError, match=r"serves \['3072'\] MB, not 4096 MB"):
        check_update(new, plan, ids_before, 4096, Report())
    no_plan = plan_update(old, old, ReplacementRules.from_spec_database())
    with pytest.raises(RehearsalFailedError, match="Config was not in the plan but changed"):
        check_update(new, no_plan, ids_before, 3072, Report())


@pytest.mark.usefixtures("aws")
def test_update_check_fails_when_a_planned_replacement_did_not_happen() -> None:
    old = serverless_template(2048)
    create_stack("s", old)
    ids_before = checks.stack_physical_ids(client("cloudformation"), "s")
    changed = serverless_template(3072)
    plan = plan_update(old, changed, ReplacementRules.from_spec_database())
    # The stack is never updated: the planned replacement of Config did not happen.
    with pytest.raises(RehearsalFailedError, match="Config was planned for replacement but kept"):
        check_update(changed, plan, ids_before, 2048, Report())


@pytest.mark.usefixtures("aws")
def test_leftover_check_lists_every_sagemaker_resource() -> None:
    assert checks.leftover_sagemaker_resources(client("sagemaker")) == {}
    create_stack("s", serverless_template(2048))
    leftovers = checks.leftover_sagemaker_resources(client("sagemaker"))
    assert set(leftovers) == {"models", "endpoint configs", "endpoints"}
    assert all(len(names) == 1 for names in leftovers.values())

    client("cloudformation").delete_stack(StackName="s")
    assert checks.stack_is_gone(client("cloudformation"), "s")
    assert checks.leftover_sagemaker_resources(client("sagemaker")) == {}


@pytest.mark.usefixtures("aws")
def test_stack_is_gone_only_when_deleted() -> None:
    assert checks.stack_is_gone(client("cloudformation"), "never-created")
    create_stack("s", serverless_template(2048))
    assert not checks.stack_is_gone(client("cloudformation"), "s")


def test_only_moto_managed_policy_delete_conflicts_are_expected() -> None:
    message = "Cannot delete entity, must detach all policies first."
    with_policy = {"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy"}}}
    without = {"Resources": {"R": {"Type": "AWS::IAM::Role"}}}
    assert checks.is_managed_policy_delete_conflict(message, with_policy)
    assert not checks.is_managed_policy_delete_conflict(message, without)
    assert not checks.is_managed_policy_delete_conflict("Stack is in use", with_policy)


# --- the moto server ------------------------------------------------------------------------


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_moto_server_stops_with_its_process_group_on_interrupt(tmp_path: Path) -> None:
    server = MotoServer(log_path=tmp_path / "moto.log")
    started: list[int] = []

    def use_then_interrupt() -> None:
        with server:
            assert server.process is not None
            started.append(server.process.pid)
            with urllib.request.urlopen(f"{server.url}/moto-api/", timeout=5) as response:
                assert response.status == 200
            server.set_inference_answer("1.5\n")
            raise KeyboardInterrupt  # what Ctrl-C (or SIGTERM, via the rehearsal) raises

    with pytest.raises(KeyboardInterrupt):
        use_then_interrupt()
    (group,) = started
    assert server.process is None
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
    assert port_is_closed(server.port)


def test_moto_server_moves_to_another_port_if_its_port_was_taken(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        server = MotoServer(log_path=tmp_path / "moto.log")
        server.port, server.url = taken, f"http://localhost:{taken}"  # as if taken in between
        with server:
            assert server.port != taken
            assert server.url == f"http://localhost:{server.port}"
    assert port_is_closed(server.port)


def test_a_failing_step_stops_the_server_and_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_synth(self: Rehearsal) -> None:
        with self.step("cdk synth (app.py)"):
            raise RehearsalFailedError("synth broke")

    monkeypatch.setattr(Rehearsal, "synth", broken_synth)
    report = Report()
    rehearsal = Rehearsal(cli.build_parser().parse_args([]), report)

    with pytest.raises(RehearsalFailedError, match="synth broke"):
        rehearsal.run(tmp_path)

    assert [(step.name, step.ok) for step in report.steps] == [
        ("start moto server", True),
        ("cdk synth (app.py)", False),
    ]
    assert rehearsal.server.process is None
    assert port_is_closed(rehearsal.server.port)


def test_a_patch_that_acted_after_the_last_deploy_is_noted_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A KMS key with CloudFormation-shaped tags: the server's KMS tags repair acts and logs its
    # marker, in a step that is no deploy; the run's end still lists the repair's note.
    def kms_key_then_fail(self: Rehearsal) -> None:
        with self.step("cdk synth (app.py)"):
            policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}],
            }
            tags = [{"Key": "project", "Value": "rehearsal"}]
            key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": policy, "Tags": tags}}
            template = {"Resources": {"Key": key}}
            self.cloudformation.create_stack(StackName="kms", TemplateBody=json.dumps(template))
            status = self.cloudformation.describe_stacks(StackName="kms")["Stacks"][0]
            assert status["StackStatus"] == "CREATE_COMPLETE"
            raise RehearsalFailedError("stop after the key")

    monkeypatch.setattr(Rehearsal, "synth", kms_key_then_fail)
    report = Report()

    with pytest.raises(RehearsalFailedError, match="stop after the key"):
        Rehearsal(cli.build_parser().parse_args([]), report).run(tmp_path)

    assert list(report.notes) == ["kms-key-tags"]


# --- end to end -----------------------------------------------------------------------------


def _report(result: JobResult) -> dict[str, Any]:
    # `python -m scripts.rehearse --json`, started in the background at collection (conftest.py).
    assert result.returncode == 0, result.stderr[-4000:]
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["ok"] is True, report["error"]
    return report


@pytest.mark.rehearsal
def test_rehearsal_end_to_end(rehearsal_result: JobResult) -> None:
    report = _report(rehearsal_result)
    # A few minutes at most, in CI too. Every deploy, update and destroy now runs through
    # `make deploy` / `make destroy` (lint, preflight and smoke test in each deploy) plus five
    # refusals and one more synth: measured (`time python -m scripts.rehearse --json`, 2 vCPUs)
    # 118 s (90 s CPU) at load average 2-4, 282 s (104 s CPU) at load average 9, against 130 s
    # (56 s CPU) for the rehearsal before them at load average 9.
    assert report["seconds"] < 420

    stacks = [config.stack_name for config in ENVIRONMENTS]
    steps = {step["name"]: step for step in report["steps"]}
    assert all(step["ok"] for step in report["steps"])
    for stack in stacks:
        assert steps[f"deploy {stack}"]["detail"].startswith("CREATE_COMPLETE")
        assert f"smoke test {stack}" in steps
        assert f"destroy {stack}" in steps
        assert report["smoke"][stack]["predictions"] == [float(settings.CANNED_PREDICTION)]
    assert list(steps)[-1] == "check nothing is left behind"

    dev = next(config for config in ENVIRONMENTS if config.name == "dev")
    plan = report["plan"]
    assert plan["stack"] == dev.stack_name
    assert plan["memory_from"] == dev.memory_size_in_mb
    assert plan["memory_to"] != dev.memory_size_in_mb
    by_type = {change["type"]: change["action"] for change in plan["changes"]}
    assert by_type["AWS::SageMaker::EndpointConfig"] == "replace"
    assert by_type["AWS::SageMaker::Endpoint"] == "modify"  # in place: no downtime
    assert plan["endpoint_downtime"] == []
    assert "UPDATE_COMPLETE" in steps[f"apply update {dev.stack_name}"]["detail"]

    notes = {note["key"]: note for note in report["notes"]}
    assert {"direct-deploys", "bootstrap-parameter", "canned-inference"} <= set(notes)
    # prod's scaling: emulated (not a placeholder), registered, unchanged by a config replacement.
    prod = next(config for config in ENVIRONMENTS if config.name == "prod")
    assert "emulated" in steps[f"scaling registered {prod.stack_name}"]["detail"]
    assert steps[f"scaling unchanged after the update {prod.stack_name}"]["ok"]
    scaling = report["scaling"][prod.stack_name]
    assert scaling["unchanged_after_update"] is True
    assert scaling["config_after"] != scaling["config_before"]
    assert "autoscaling-emulated" in notes
    assert not any("ApplicationAutoScaling" in d for d in notes["not-emulated"]["details"])
    # The server it started is gone.
    url = steps["start moto server"]["detail"]
    assert port_is_closed(int(url.rsplit(":", 1)[1]))


@pytest.mark.rehearsal
def test_rehearsal_guards_refuse_then_allow(rehearsal_result: JobResult) -> None:
    report = _report(rehearsal_result)
    steps = {step["name"]: step for step in report["steps"]}
    notes = {note["key"]: note for note in report["notes"]}
    prod = next(config for config in ENVIRONMENTS if config.name == "prod")
    # Deploy, update and destroy ran through `make deploy` / `make destroy`, and each guard refused
    # (exit 3, nothing changed) before its override allowed it.
    guards = report["guards"]
    assert set(guards) == {
        "wrong-account",
        "pipeline-owned",
        "endpoint-replacement",
        "endpoint-replacement-allowed",
        "termination-protected",
    }
    assert "deploys to account 210987654321" in guards["wrong-account"]["error"]
    assert "deployed only by the pipeline" in guards["pipeline-owned"]["error"]
    assert "ALLOW_REPLACEMENT=1" in guards["endpoint-replacement"]["error"]
    assert "the endpoint was REPLACED" in " ".join(guards["endpoint-replacement-allowed"]["facts"])
    assert (
        f"--no-enable-termination-protection --stack-name {prod.stack_name}"
        in guards["termination-protected"]["error"]
    )
    assert "termination-protection" in notes
    for config in ENVIRONMENTS:
        assert "make destroy: exit" in steps[f"destroy {config.stack_name}"]["detail"]


@pytest.mark.rehearsal
def test_rehearsal_registry_scenario(rehearsal_result: JobResult) -> None:
    report = _report(rehearsal_result)
    steps = {step["name"]: step for step in report["steps"]}
    notes = {note["key"]: note for note in report["notes"]}
    # The Model Registry scenario (scripts/rehearsal/registry.py): version 1 deployed, version 2
    # approved, refreshed, shown by the review and deployed; the smoke test names each.
    registry = [name for name in steps if name.startswith("registry: ")]
    assert len(registry) == 10
    version_2 = "model-package/rehearsal-churn/2"
    assert version_2 in steps["registry: review shows the version change"]["detail"]
    deployed = steps["registry: deploy SageMakerServerless-registry (2)"]["detail"]
    assert deployed.startswith("UPDATE_COMPLETE")
    assert deployed.endswith(version_2)
    assert {"managed-policy-update", "model-replacement-propagation"} <= set(notes)


@pytest.mark.usefixtures("aws", "repaired_moto")
def test_the_endpoint_rename_repair_replaces_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sagemaker.models import FakeEndpoint

    # Restored after the test: the repair is meant for the rehearsal's server process.
    for name in ("create_from_cloudformation_json", "update_from_cloudformation_json"):
        monkeypatch.setattr(FakeEndpoint, name, FakeEndpoint.__dict__[name])
    moto_patches.install_endpoint_rename_repair()
    old = serverless_template(2048)
    create_stack("s", old)
    cloudformation, sagemaker = client("cloudformation"), client("sagemaker")

    def output() -> str:
        stack = cloudformation.describe_stacks(StackName="s")["Stacks"][0]
        return str(stack["Outputs"][0]["OutputValue"])

    before = output()
    renamed = json.loads(json.dumps(old))
    renamed["Resources"]["Endpoint"]["Properties"]["EndpointName"] = "another-name"
    cloudformation.update_stack(StackName="s", TemplateBody=json.dumps(renamed))
    after = output()
    names = [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
    assert after != before
    assert names == [after]  # the new endpoint; the old one deleted
