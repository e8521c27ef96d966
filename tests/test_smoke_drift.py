"""The live-configuration check (scripts/smoke/drift.py, expected.py) against moto.

The stacks are the environments' own SageMaker resources from their reviewed snapshots, created
through moto's CloudFormation (tests/smoke_moto.py `sagemaker_part_of_snapshot`); the endpoint
is then changed behind CloudFormation's back with SageMaker's API. Two moto gaps are repaired by
scripts/rehearsal/moto_repairs.py (the `repaired_moto` fixture): moto 5.2.5 has no UpdateEndpoint,
and its stack update leaves an endpoint on a replaced (deleted) endpoint config. States that no
API makes (a FailureReason on an InService endpoint, a pending deployment, a desired serverless
config unlike the current one) are set on moto's backend objects (`fake_endpoint`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scripts.smoke.drift import DRIFT, OK, SKIPPED, LiveEndpoint, LiveVariant, Reading, compare
from scripts.smoke.errors import EXIT_MEANINGS, UsageError
from scripts.smoke.expected import TemplateReader, from_stack
from scripts.smoke.options import build_parser
from tests.smoke_moto import (
    REGION,
    FakeTime,
    answer_instead,
    create_endpoint,
    create_stack,
    deploy_stack,
    fake_endpoint,
    fake_serverless_variant,
    hand_made_config,
    hand_made_model,
    live_endpoint,
    only_resource,
    queue_answer,
    run_main,
    sagemaker_part_of_snapshot,
    snapshot_path,
    update_endpoint_by_hand,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACK = "SageMakerServerless-dev"
OTHER_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
OTHER_DATA = "s3://somebody-elses-bucket/model.tar.gz"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def deployed(aws: None, repaired_moto: None) -> str:
    """dev's SageMaker resources deployed through moto's CloudFormation; the endpoint's name."""
    endpoint = deploy_stack(STACK, sagemaker_part_of_snapshot("dev"))
    queue_answer("151.25")
    return endpoint


def run_json(fake_time: FakeTime, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code = run_main(fake_time, *args, "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["exit_code"] == code
    return report


def rows(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {row["check"]: row for row in report["config_check"]["rows"]}


def drifted(report: dict[str, Any]) -> list[str]:
    return [row["check"] for row in report["config_check"]["rows"] if row["status"] == DRIFT]


# --- a healthy endpoint -----------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_a_healthy_endpoint_passes_every_check(
    aws: None, fake_time: FakeTime, capsys: pytest.CaptureFixture[str], environment: str
) -> None:
    stack = f"SageMakerServerless-{environment}"
    deploy_stack(stack, sagemaker_part_of_snapshot(environment))
    queue_answer("151.25")
    report = run_json(fake_time, capsys, "--stack", stack)
    assert (report["exit_code"], report["ok"]) == (0, True)
    assert report["exit_meaning"] == EXIT_MEANINGS[0]
    check = report["config_check"]
    assert (check["drift"], check["expected_from"]) == (False, f"stack {stack!r}")
    assert check["stack_status"] == "CREATE_COMPLETE"
    found = rows(report)
    assert {row["status"] for row in found.values()} == {OK}
    assert list(found) == [
        "endpoint config",
        "AllTraffic MemorySizeInMB",
        "AllTraffic MaxConcurrency",
        "AllTraffic ProvisionedConcurrency",
        "AllTraffic model",
        "AllTraffic image",
        "AllTraffic model data",
        "failure reason",
        "endpoint status",
        "pending deployment",
        "AllTraffic desired serverless config",
    ]
    # The values the environment's template says (stacks/config.py).
    memory, concurrency, provisioned = {"dev": ("2048", "2", "none"), "prod": ("3072", "20", "1")}[
        environment
    ]
    assert found["AllTraffic MemorySizeInMB"]["live"] == memory
    assert found["AllTraffic MaxConcurrency"]["live"] == concurrency
    assert found["AllTraffic ProvisionedConcurrency"]["live"] == provisioned
    # The names CloudFormation generated, read from the stack's physical ids (ARNs).
    assert found["endpoint config"]["expected_from"] == (
        "stack resource EndpointEndpointConfig5871F635 (physical id)"
    )
    assert "EndpointEndpointConfig5871F635" in found["endpoint config"]["expected"]
    assert found["AllTraffic image"]["expected_from"] == (
        "template: EndpointModel0F230181 PrimaryContainer.Image"
    )
    assert found["AllTraffic image"]["live"].endswith("/sagemaker-xgboost:3.0-5")


def test_the_text_report_shows_the_table(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(fake_time, "--stack", STACK) == 0
    out = capsys.readouterr().out
    assert f"OK {deployed} ({REGION}) answered: 151.25" in out
    assert f"configuration: matches stack '{STACK}' (CREATE_COMPLETE): 11 checks, 0 skipped" in out
    header = next(line for line in out.splitlines() if "expected from" in line)
    assert header.split() == ["result", "check", "expected", "live", "expected", "from"]
    memory = next(line for line in out.splitlines() if "AllTraffic MemorySizeInMB" in line)
    assert memory.split()[:5] == ["ok", "AllTraffic", "MemorySizeInMB", "2048", "2048"]
    # Aligned: every row's "live" column starts where the header's does.
    column = header.index("live")
    for line in out.splitlines():
        if line.startswith("     ok ") or line.startswith("     DRIFT "):
            assert line[column - 2 : column] == "  ", line


# --- drift: each kind, behind CloudFormation's back -----------------------------------------


def test_another_endpoint_config_is_drift(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same settings under another name: only the config itself differs.
    hand_made_config(deployed, "hotfix-config")
    update_endpoint_by_hand(deployed, "hotfix-config")
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert (report["exit_code"], report["ok"]) == (3, False)
    assert drifted(report) == ["endpoint config"]
    row = rows(report)["endpoint config"]
    assert row["live"] == "hotfix-config"
    assert row["expected"].startswith(f"{STACK}-EndpointEndpointConfig5871F635-")
    assert report["predictions"] == [151.25]  # it still answers: drift is not a failure
    assert report["exit_meaning"] == EXIT_MEANINGS[3]


@pytest.mark.parametrize(
    "change",
    [
        ("MemorySizeInMB", 4096, "2048"),
        ("MaxConcurrency", 5, "2"),
        ("ProvisionedConcurrency", 1, "none"),
    ],
)
def test_another_serverless_config_is_drift(
    deployed: str,
    fake_time: FakeTime,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, int, str],
) -> None:
    field, value, expected = change
    hand_made_config(deployed, "bigger", serverless={field: value})
    update_endpoint_by_hand(deployed, "bigger")
    assert (
        live_endpoint(deployed)["ProductionVariants"][0]["CurrentServerlessConfig"][field] == value
    )
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 3
    assert drifted(report) == ["endpoint config", f"AllTraffic {field}"]
    row = rows(report)[f"AllTraffic {field}"]
    assert (row["expected"], row["live"]) == (expected, str(value))
    assert row["expected_from"] == "template: EndpointEndpointConfig5871F635 ServerlessConfig"


@pytest.mark.parametrize(
    ("container", "check"),
    [
        ({"Image": OTHER_IMAGE}, "AllTraffic image"),
        ({"ModelDataUrl": OTHER_DATA}, "AllTraffic model data"),
    ],
)
def test_another_model_is_drift(
    deployed: str,
    fake_time: FakeTime,
    capsys: pytest.CaptureFixture[str],
    container: dict[str, str],
    check: str,
) -> None:
    hand_made_model(deployed, "retrained", **container)
    hand_made_config(deployed, "retrained-config", model_name="retrained")
    update_endpoint_by_hand(deployed, "retrained-config")
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 3
    assert drifted(report) == ["endpoint config", "AllTraffic model", check]
    assert rows(report)["AllTraffic model"]["live"] == "retrained"
    assert rows(report)[check]["live"] == next(iter(container.values()))


def test_a_failure_reason_on_an_in_service_endpoint_is_drift(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    # What SageMaker leaves after rolling a failed update back: InService, old config, a reason.
    reason = "Update rolled back: the alarm Invocation5XXErrors fired during baking"
    fake_endpoint(deployed).failure_reason = reason
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 3
    assert drifted(report) == ["failure reason"]
    assert rows(report)["failure reason"]["live"] == reason
    assert report["status"] == "InService"


def test_a_pending_deployment_is_drift(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_endpoint(deployed).pending_deployment_summary = {
        "EndpointConfigName": "next-config",
        "StartTime": "2026-12-01T12:00:00Z",
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "VariantStatus": [{"Status": "Creating"}]}
        ],
    }
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 3
    assert drifted(report) == ["pending deployment"]
    assert rows(report)["pending deployment"]["live"] == "next-config (Creating)"


def test_a_desired_serverless_config_unlike_the_current_one_is_drift(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    variant = fake_serverless_variant(deployed)
    variant["DesiredServerlessConfig"] = {"MemorySizeInMB": 4096, "MaxConcurrency": 2}
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 3
    assert drifted(report) == ["AllTraffic desired serverless config"]
    row = rows(report)["AllTraffic desired serverless config"]
    assert (row["expected"], row["live"]) == (
        "MemorySizeInMB=2048, MaxConcurrency=2",
        "MemorySizeInMB=4096, MaxConcurrency=2",
    )


@pytest.mark.parametrize("status", ["Updating", "RollingBack", "SystemUpdating"])
def test_a_deployment_in_progress_is_drift(status: str) -> None:
    # The script waits while the endpoint is in these states; one seen by the check itself
    # (an update started in between) is a deployment in progress.
    template = sagemaker_part_of_snapshot("dev")
    _, model = only_resource(template, "AWS::SageMaker::Model")
    container = model["Properties"]["PrimaryContainer"]
    reader = TemplateReader(template, source="template", physical_name=None, describe_model=None)
    expected = reader.expected("Endpoint8024A810")
    live = LiveEndpoint(
        name="e",
        status=status,
        failure_reason=None,
        endpoint_config_name="c",
        pending_deployment=None,
        variants={
            "AllTraffic": LiveVariant(
                name="AllTraffic",
                current_serverless={"MemorySizeInMB": 2048, "MaxConcurrency": 2},
                desired_serverless={"MemorySizeInMB": 2048, "MaxConcurrency": 2},
                model_name=Reading(value="m"),
                container={
                    "image": Reading(value=container["Image"]),
                    "model data": Reading(value=container["ModelDataUrl"]),
                },
            )
        },
    )
    check = compare(expected, live)
    assert [row.check for row in check.drifted] == ["endpoint status"]
    assert check.drifted[0].live == status


def test_drift_text_report_and_error_line(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    hand_made_config(deployed, "bigger", serverless={"MemorySizeInMB": 4096})
    update_endpoint_by_hand(deployed, "bigger")
    assert run_main(fake_time, "--stack", STACK) == 3
    captured = capsys.readouterr()
    assert f"DRIFT {deployed} ({REGION}) answered: 151.25" in captured.out
    assert (
        f"configuration: DRIFT from stack '{STACK}' (CREATE_COMPLETE): 2 of 11 checks differ "
        "(endpoint config, AllTraffic MemorySizeInMB); 0 skipped"
    ) in captured.out
    memory = next(line for line in captured.out.splitlines() if "MemorySizeInMB  " in line)
    assert memory.split()[:5] == ["DRIFT", "AllTraffic", "MemorySizeInMB", "2048", "4096"]
    assert "error: drift: the endpoint does not run what stack" in captured.err
    assert "npx cdk deploy" in captured.err
    assert "Traceback" not in captured.err


def test_drift_and_a_failed_invocation_exit_1_with_the_table(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    # The endpoint is broken as well as drifted: 1 (the more urgent), the rows still reported.
    hand_made_config(deployed, "hotfix-config")
    update_endpoint_by_hand(deployed, "hotfix-config")
    answer_instead("<html>oops</html>")
    report = run_json(fake_time, capsys, "--stack", STACK, "--warm-invocations", "0")
    assert (report["exit_code"], report["ok"]) == (1, False)
    assert report["config_check"]["drift"] is True
    assert drifted(report) == ["endpoint config"]


def test_no_config_check_skips_it(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    hand_made_config(deployed, "hotfix-config")
    update_endpoint_by_hand(deployed, "hotfix-config")
    report = run_json(fake_time, capsys, "--stack", STACK, "--no-config-check")
    assert report["exit_code"] == 0
    assert report["config_check"] is None
    assert report["config_check_note"] == "not checked (--no-config-check)"


def test_endpoint_name_alone_says_why_it_is_not_checked(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(fake_time, "--endpoint-name", deployed) == 0
    out = capsys.readouterr().out
    assert "configuration: not checked: --endpoint-name alone" in out
    assert "--template cdk.out/<Stack>.template.json" in out


# --- what CloudFormation itself changes -----------------------------------------------------


def bigger(template: dict[str, Any], memory: int) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    _, config = only_resource(changed, "AWS::SageMaker::EndpointConfig")
    config["Properties"]["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] = memory
    return changed


def test_a_stack_update_is_no_drift(
    deployed: str, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.update_stack(
        StackName=STACK, TemplateBody=json.dumps(bigger(sagemaker_part_of_snapshot("dev"), 3072))
    )
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 0, drifted(report)
    assert rows(report)["AllTraffic MemorySizeInMB"]["live"] == "3072"
    assert report["config_check"]["stack_status"] == "UPDATE_COMPLETE"


def test_moto_leaves_the_endpoint_on_a_replaced_config_without_the_repair(
    aws: None, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    # The evidence for moto_repairs.install_endpoint_config_propagation: unrepaired moto updates
    # the EndpointConfig (a replacement) but not the Endpoint, which still names the deleted
    # config: the check calls that drift, as it would on AWS.
    endpoint = deploy_stack(STACK, sagemaker_part_of_snapshot("dev"))
    before = live_endpoint(endpoint)["EndpointConfigName"]
    boto3.client("cloudformation", region_name=REGION).update_stack(
        StackName=STACK, TemplateBody=json.dumps(bigger(sagemaker_part_of_snapshot("dev"), 3072))
    )
    assert live_endpoint(endpoint)["EndpointConfigName"] == before
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        boto3.client("sagemaker", region_name=REGION).describe_endpoint_config(
            EndpointConfigName=before
        )
    queue_answer("151.25")
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 3
    assert drifted(report) == ["endpoint config", "AllTraffic MemorySizeInMB"]
    # The endpoint's own config is gone: its model cannot be read, and says so.
    model = rows(report)["AllTraffic model"]
    assert model["status"] == SKIPPED
    assert "DescribeEndpointConfig" in model["note"]
    assert "ValidationException" in model["note"]


def test_moto_lacks_update_endpoint_without_the_repair(aws: None) -> None:
    create_endpoint()
    with pytest.raises(
        NotImplementedError, match="update_endpoint action has not been implemented"
    ):
        update_endpoint_by_hand("smoke-endpoint", "smoke-endpoint-config")


# --- values the template computes ---------------------------------------------------------


def agnostic(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` as an environment-agnostic synth writes it: the image from the registry
    mapping and the asset bucket from pseudo parameters (see the agnostic_app fixture)."""
    changed = copy.deepcopy(template)
    _, model = only_resource(changed, "AWS::SageMaker::Model")
    container = model["Properties"]["PrimaryContainer"]
    asset = container["ModelDataUrl"].rsplit("/", 1)[1]
    container["Image"] = {
        "Fn::Join": [
            "",
            [
                {
                    "Fn::FindInMap": [
                        "SageMakerxgboost305Registry",
                        {"Ref": "AWS::Region"},
                        "account",
                    ]
                },
                ".dkr.ecr.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/sagemaker-xgboost:3.0-5",
            ],
        ]
    }
    container["ModelDataUrl"] = {
        "Fn::Sub": f"s3://cdk-hnb659fds-assets-${{AWS::AccountId}}-${{AWS::Region}}/{asset}"
    }
    changed["Mappings"] = {"SageMakerxgboost305Registry": {REGION: {"account": "683313688378"}}}
    return changed


def test_computed_values_come_from_the_stacks_model(
    aws: None, repaired_moto: None, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = deploy_stack(STACK, agnostic(sagemaker_part_of_snapshot("dev")))
    queue_answer("151.25")
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert report["exit_code"] == 0, drifted(report)
    image = rows(report)["AllTraffic image"]
    assert image["expected_from"] == (
        "stack resource EndpointModel0F230181 via DescribeModel (template: Fn::Join)"
    )
    assert image["expected"] == image["live"]
    assert image["live"] == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
    data = rows(report)["AllTraffic model data"]
    assert data["expected_from"].endswith("(template: Fn::Sub)")
    # Pointed at another model: the stack's model is still what is expected.
    hand_made_model(endpoint, "retrained", Image=OTHER_IMAGE)
    hand_made_config(endpoint, "retrained-config", model_name="retrained")
    update_endpoint_by_hand(endpoint, "retrained-config")
    queue_answer("151.25")
    report = run_json(fake_time, capsys, "--stack", STACK)
    assert drifted(report) == ["endpoint config", "AllTraffic model", "AllTraffic image"]
    assert rows(report)["AllTraffic image"]["expected"] == image["expected"]


def test_a_serverless_value_that_is_not_a_literal_is_skipped_not_failed() -> None:
    template = sagemaker_part_of_snapshot("dev")
    _, config = only_resource(template, "AWS::SageMaker::EndpointConfig")
    config["Properties"]["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] = {
        "Ref": "MemorySize"
    }
    reader = TemplateReader(template, source="template", physical_name=None, describe_model=None)
    (variant,) = reader.expected("Endpoint8024A810").variants
    memory = variant.serverless["MemorySizeInMB"]
    assert (memory.value, memory.skipped) == (None, "not a literal number (Ref)")
    assert variant.serverless["MaxConcurrency"].value == "2"


# --- --template: a synthesized template, no stack ------------------------------------------


def create_from_template(template: dict[str, Any], *, memory: int | None = None) -> str:
    """The template's resources created directly with SageMaker's API under its literal
    endpoint name (as `cdk deploy` names it on AWS); moto's CloudFormation would not."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    _, model = only_resource(template, "AWS::SageMaker::Model")
    _, config = only_resource(template, "AWS::SageMaker::EndpointConfig")
    _, endpoint = only_resource(template, "AWS::SageMaker::Endpoint")
    container = model["Properties"]["PrimaryContainer"]
    sagemaker.create_model(
        ModelName="generated-model",
        ExecutionRoleArn=model["Properties"]["ExecutionRoleArn"],
        PrimaryContainer={k: v for k, v in container.items() if isinstance(v, str)},
    )
    serverless = dict(config["Properties"]["ProductionVariants"][0]["ServerlessConfig"])
    if memory is not None:
        serverless["MemorySizeInMB"] = memory
    sagemaker.create_endpoint_config(
        EndpointConfigName="generated-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "generated-model",
                "ServerlessConfig": serverless,
            }
        ],
    )
    name = str(endpoint["Properties"]["EndpointName"])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName="generated-config")
    return name


def write(tmp_path: Path, template: dict[str, Any]) -> Path:
    path = tmp_path / f"{STACK}.template.json"
    path.write_text(json.dumps(template))
    return path


@pytest.mark.usefixtures("aws")
def test_template_mode_checks_the_literals_and_says_what_it_skipped(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    template_file = snapshot_path("dev")  # the reviewed template itself
    endpoint = create_from_template(sagemaker_part_of_snapshot("dev"))
    queue_answer("151.25")
    report = run_json(
        fake_time, capsys, "--endpoint-name", endpoint, "--template", str(template_file)
    )
    assert report["exit_code"] == 0
    check = report["config_check"]
    assert check["expected_from"] == f"template {str(template_file)!r}"
    assert check["stack_status"] is None
    skipped = {row["check"]: row["note"] for row in check["rows"] if row["status"] == SKIPPED}
    assert set(skipped) == {"endpoint config", "AllTraffic model"}
    assert all("only a stack knows it (--stack)" in note for note in skipped.values())
    assert rows(report)["AllTraffic MemorySizeInMB"]["status"] == OK
    assert rows(report)["AllTraffic image"]["status"] == OK


@pytest.mark.usefixtures("aws")
def test_template_mode_finds_drift_in_the_literals(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = create_from_template(sagemaker_part_of_snapshot("dev"), memory=1024)
    queue_answer("151.25")
    assert (
        run_main(fake_time, "--endpoint-name", endpoint, "--template", str(snapshot_path("dev")))
        == 3
    )
    out = capsys.readouterr().out
    assert "2 skipped" in out
    memory = next(line for line in out.splitlines() if "MemorySizeInMB  " in line)
    assert memory.split()[:5] == ["DRIFT", "AllTraffic", "MemorySizeInMB", "2048", "1024"]
    skipped = [line for line in out.splitlines() if line.lstrip().startswith("skipped ")]
    assert [line.split()[1:3] for line in skipped] == [
        ["endpoint", "config"],
        ["AllTraffic", "model"],
    ]


@pytest.mark.usefixtures("aws")
def test_template_mode_skips_computed_values(
    tmp_path: Path, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    template = agnostic(sagemaker_part_of_snapshot("dev"))
    endpoint = create_from_template(sagemaker_part_of_snapshot("dev"))
    queue_answer("151.25")
    report = run_json(
        fake_time, capsys, "--endpoint-name", endpoint, "--template", str(write(tmp_path, template))
    )
    assert report["exit_code"] == 0
    image, data = rows(report)["AllTraffic image"], rows(report)["AllTraffic model data"]
    assert (image["status"], data["status"]) == (SKIPPED, SKIPPED)
    assert "the template computes it (Fn::Join)" in image["note"]
    assert "the template computes it (Fn::Sub)" in data["note"]
    assert image["live"].endswith("/sagemaker-xgboost:3.0-5")  # read, just not compared


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", STACK, "--template", "t.json"], "--template goes with --endpoint-name"),
        (["--local-url", "http://127.0.0.1:1", "--template", "t.json"], "--template goes with"),
        (
            ["--endpoint-name", "e", "--template", "t.json", "--no-config-check"],
            "--template and --no-config-check contradict each other",
        ),
    ],
)
def test_template_option_misuse_exits_2(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run_main(fake_time, *args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("Resources:\n  A: 1\n", "is not a JSON template"),
        (json.dumps({"Resources": {}}), "has no Resources"),
        (
            json.dumps(sagemaker_part_of_snapshot("dev")),
            "defines no endpoint named 'smoke-endpoint'",
        ),
    ],
)
def test_a_template_that_cannot_be_used_exits_2(
    tmp_path: Path,
    fake_time: FakeTime,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    message: str,
) -> None:
    create_endpoint()  # "smoke-endpoint": not the endpoint of dev's template
    queue_answer("151.25")
    path = tmp_path / "template.json"
    if content is not None:
        path.write_text(content)
    assert run_main(fake_time, "--endpoint-name", "smoke-endpoint", "--template", str(path)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# --- reading the stack: permissions and physical ids ------------------------------------------


class DeniedCloudFormation:
    def get_template(self, **request: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized to GetTemplate"}},
            "GetTemplate",
        )


def test_no_permission_to_read_the_template_is_a_configuration_error() -> None:
    with pytest.raises(UsageError) as caught:
        from_stack(DeniedCloudFormation(), None, stack=STACK, endpoint_name="e", stack_status=None)
    message = str(caught.value)
    assert "cannot read stack 'SageMakerServerless-dev': GetTemplate: AccessDenied" in message
    assert "cloudformation:GetTemplate" in message
    assert "--no-config-check" in message


@pytest.mark.usefixtures("aws")
def test_a_model_the_role_may_not_read_is_skipped_with_the_reason(
    repaired_moto: None, fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pipeline's smoke role may describe only the stack's own configs and models (by their
    # generated-name prefix): a hand-made one is denied; the config row still shows the drift.
    endpoint = deploy_stack(STACK, sagemaker_part_of_snapshot("dev"))
    hand_made_model(endpoint, "retrained", Image=OTHER_IMAGE)
    hand_made_config(endpoint, "retrained-config", model_name="retrained")
    update_endpoint_by_hand(endpoint, "retrained-config")
    queue_answer("151.25")
    session = boto3.Session(region_name=REGION)

    class DeniedModels:
        def __init__(self, client: Any) -> None:
            self._client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self._client, name)

        def describe_model(self, **request: Any) -> Any:
            if request["ModelName"] == "retrained":
                raise ClientError(
                    {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}},
                    "DescribeModel",
                )
            return self._client.describe_model(**request)

    class Session:
        def __getattr__(self, name: str) -> Any:
            return getattr(session, name)

        def client(self, service: str, **kwargs: Any) -> Any:
            client = session.client(service, **kwargs)
            return DeniedModels(client) if service == "sagemaker" else client

    from scripts.smoke.cli import main

    code = main(
        ["--stack", STACK, "--json"],
        session_factory=lambda **_: Session(),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 3
    assert drifted(report) == ["endpoint config", "AllTraffic model"]
    image = rows(report)["AllTraffic image"]
    assert image["status"] == SKIPPED
    assert "DescribeModel retrained: AccessDeniedException" in image["note"]


# --- exit codes ------------------------------------------------------------------------------


@pytest.mark.usefixtures("aws")
def test_a_stack_without_the_endpoint_resource_cannot_be_checked(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    create_stack("outputs-only", {"EndpointName": "smoke-endpoint"})
    assert run_main(fake_time, "--stack", "outputs-only") == 2
    err = capsys.readouterr().err
    assert "stack 'outputs-only' has no AWS::SageMaker::Endpoint resource" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("aws")
def test_a_missing_endpoint_exits_1(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_json(fake_time, capsys, "--endpoint-name", "missing-endpoint")
    assert (report["exit_code"], report["ok"]) == (1, False)
    assert report["error"].startswith("endpoint 'missing-endpoint' was not found")
    assert report["exit_meaning"] == EXIT_MEANINGS[1]


@pytest.mark.usefixtures("aws")
def test_a_stack_whose_endpoint_is_gone_exits_1(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_stack(STACK, {"EndpointName": "deleted-by-hand"})
    assert run_main(fake_time, "--stack", STACK) == 1
    assert "endpoint 'deleted-by-hand' was not found" in capsys.readouterr().err


def test_help_lists_every_exit_code() -> None:
    help_text = build_parser().format_help()
    for code, meaning in EXIT_MEANINGS.items():
        assert f"  {code}  {meaning}\n" in help_text
    assert set(EXIT_MEANINGS) == {0, 1, 2, 3}


def test_the_docs_have_the_same_exit_code_table() -> None:
    page = (PROJECT_ROOT / "docs" / "deploy-truth.md").read_text()
    for code, meaning in EXIT_MEANINGS.items():
        assert f"| {code} | {meaning} |" in page


def test_a_variant_the_endpoint_lacks_is_drift() -> None:
    reader = TemplateReader(
        sagemaker_part_of_snapshot("dev"),
        source="template",
        physical_name=None,
        describe_model=None,
    )
    live = LiveEndpoint(
        name="e",
        status="InService",
        failure_reason=None,
        endpoint_config_name="c",
        pending_deployment=None,
        variants={},
    )
    check = compare(reader.expected("Endpoint8024A810"), live)
    assert [(row.check, row.live) for row in check.drifted] == [
        ("AllTraffic variant", "no variant AllTraffic (live: none)")
    ]
