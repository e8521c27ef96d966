"""ServerlessEndpoint options: roles, encryption, alarms, deployment, dashboard, removal, images."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_serverless import (
    ContainerImage,
    Deployment,
    EndpointAlarms,
    ModelData,
    ServerlessEndpoint,
    TrafficShift,
)
from sagemaker_serverless._limits import (
    LOAD_BASE_BYTES,
    LOAD_FACTOR_BINARY,
    LOAD_FACTOR_JSON,
    estimate_model_memory,
)
from sagemaker_serverless.artifact import (
    ArtifactInspection,
    ModelFileInfo,
    ModelFormat,
    inspect_model_artifact,
)
from stacks.compliance import add_compliance_checks
from stacks.config import PROJECT_ROOT, SAMPLE_MODEL_ARTIFACT
from tests.model_files import model_bytes, write_archive
from tests.synth import new_app

XGBOOST = ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")


def make_stack(app: cdk.App | None = None) -> cdk.Stack:
    env = cdk.Environment(account="123456789012", region="us-east-1")
    return cdk.Stack(app or new_app(), "Options", env=env)


def build(stack: cdk.Stack, **overrides: Any) -> ServerlessEndpoint:
    props: dict[str, Any] = {
        "image": XGBOOST,
        "model_data": ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
    } | overrides
    return ServerlessEndpoint(stack, "Endpoint", **props)


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {key: dict(value) for key, value in template.find_resources(resource_type).items()}


def only(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return next(iter(found.items()))


# --- execution role -------------------------------------------------------------------------


def test_callers_role_is_used_and_nothing_is_added_to_it() -> None:
    stack = make_stack()
    role = iam.Role(stack, "Mine", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    endpoint = build(stack, role=role)
    template = Template.from_stack(stack)
    (role_id, role_resource) = only(template, "AWS::IAM::Role")
    assert "Mine" in role_id
    assert "ManagedPolicyArns" not in role_resource["Properties"]
    assert "Policies" not in role_resource["Properties"]
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    (_, model) = only(template, "AWS::SageMaker::Model")
    assert model["Properties"]["ExecutionRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert endpoint.role is role
    # What the caller must grant is still spelled out.
    actions = {a for s in endpoint.execution_policy_statements for a in s.actions}
    assert {"s3:GetObject", "ecr:BatchGetImage", "logs:PutLogEvents"} <= actions


def test_imported_role_by_arn() -> None:
    stack = make_stack()
    role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/Existing")
    build(stack, role=role)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Role", 0)
    (_, model) = only(template, "AWS::SageMaker::Model")
    assert model["Properties"]["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/Existing"


# --- encryption -----------------------------------------------------------------------------


def test_endpoint_config_gets_a_new_rotating_key_by_default() -> None:
    stack = make_stack()
    build(stack)
    template = Template.from_stack(stack)
    (key_id, key) = only(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    (_, config) = only(template, "AWS::SageMaker::EndpointConfig")
    assert config["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_callers_key_is_used_instead() -> None:
    stack = make_stack()
    key = kms.Key.from_key_arn(
        stack,
        "Shared",
        "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
    )
    build(stack, encryption_key=key)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 0)
    (_, config) = only(template, "AWS::SageMaker::EndpointConfig")
    assert config["Properties"]["KmsKeyId"] == key.key_arn


def test_no_key_when_asked() -> None:
    stack = make_stack()
    build(stack, encrypt=False)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 0)
    (_, config) = only(template, "AWS::SageMaker::EndpointConfig")
    assert "KmsKeyId" not in config["Properties"]


# --- alarms, rollback, dashboard ------------------------------------------------------------


@pytest.fixture(scope="module")
def monitored() -> Template:
    stack = make_stack()
    topic = sns.Topic.from_topic_arn(stack, "Topic", "arn:aws:sns:us-east-1:123456789012:alarms")
    build(stack, alarms=EndpointAlarms(topic=topic), dashboard=True, provisioned_concurrency=1)
    return Template.from_stack(stack)


def alarm_by_metric(template: Template, metric_name: str) -> tuple[str, dict[str, Any]]:
    for alarm_id, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        if alarm["Properties"]["MetricName"] == metric_name:
            return alarm_id, alarm["Properties"]
    raise AssertionError(f"no alarm on {metric_name}")


def test_no_alarms_dashboard_or_deployment_config_by_default() -> None:
    stack = make_stack()
    build(stack)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudWatch::Alarm", 0)
    template.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    (_, endpoint) = only(template, "AWS::SageMaker::Endpoint")
    assert "DeploymentConfig" not in endpoint["Properties"]


DEFAULT_ALARMS = {
    # metric: (statistic, threshold, evaluation periods, operator)
    "Invocation5XXErrors": ("Sum", 1, 1, "GreaterThanOrEqualToThreshold"),
    "ModelSetupTime": ("Maximum", 60_000_000, 1, "GreaterThanThreshold"),
    "OverheadLatency": ("Average", 1_000_000, 3, "GreaterThanThreshold"),
}


@pytest.mark.parametrize("metric", DEFAULT_ALARMS)
def test_default_alarms(monitored: Template, metric: str) -> None:
    statistic, threshold, periods, operator = DEFAULT_ALARMS[metric]
    (_, alarm) = alarm_by_metric(monitored, metric)
    assert alarm["Statistic"] == statistic
    assert alarm["Threshold"] == threshold
    assert alarm["EvaluationPeriods"] == periods
    assert alarm["ComparisonOperator"] == operator
    assert alarm["Period"] == 300
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:alarms"]
    assert alarm["OKActions"] == ["arn:aws:sns:us-east-1:123456789012:alarms"]
    (_, endpoint) = only(monitored, "AWS::SageMaker::Endpoint")
    assert {"Name": "EndpointName", "Value": endpoint["Properties"]["EndpointName"]} in alarm[
        "Dimensions"
    ]


def test_blue_green_rolls_back_on_the_5xx_alarm(monitored: Template) -> None:
    (alarm_id, _) = alarm_by_metric(monitored, "Invocation5XXErrors")
    (_, endpoint) = only(monitored, "AWS::SageMaker::Endpoint")
    assert endpoint["Properties"]["DeploymentConfig"] == {
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": {"Ref": alarm_id}}]},
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}
        },
    }


def test_rollback_can_be_turned_off() -> None:
    stack = make_stack()
    build(stack, alarms=EndpointAlarms(rollback_on_5xx=False))
    (_, endpoint) = only(Template.from_stack(stack), "AWS::SageMaker::Endpoint")
    assert "AutoRollbackConfiguration" not in endpoint["Properties"]["DeploymentConfig"]


def test_canary_deployment_is_rendered() -> None:
    stack = make_stack()
    build(
        stack,
        deployment=Deployment.blue_green(
            traffic=TrafficShift.canary(percent=10, baking_period=Duration.minutes(10)),
            termination_wait=Duration.minutes(2),
            maximum_execution_timeout=Duration.hours(1),
        ),
    )
    (_, endpoint) = only(Template.from_stack(stack), "AWS::SageMaker::Endpoint")
    assert endpoint["Properties"]["DeploymentConfig"] == {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 600,
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            },
            "TerminationWaitInSeconds": 120,
            "MaximumExecutionTimeoutInSeconds": 3600,
        }
    }


def test_dashboard_shows_the_endpoint_and_its_alarms(monitored: Template) -> None:
    (_, dashboard) = only(monitored, "AWS::CloudWatch::Dashboard")
    (_, endpoint) = only(monitored, "AWS::SageMaker::Endpoint")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert endpoint["Properties"]["EndpointName"] in body
    for metric in (
        "Invocations",
        "Invocation5XXErrors",
        "ModelLatency",
        "OverheadLatency",
        "ModelSetupTime",
        "MemoryUtilization",
        "ServerlessConcurrentExecutionsUtilization",
        "ServerlessProvisionedConcurrencySpilloverInvocations",
    ):
        assert metric in body
    assert "alarm" in body  # the alarm status widget


# --- removal policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(cdk.RemovalPolicy.DESTROY, "Delete"), (cdk.RemovalPolicy.RETAIN, "Retain")],
)
def test_removal_policy_applies_to_every_stateful_resource(
    policy: cdk.RemovalPolicy, expected: str
) -> None:
    stack = make_stack()
    build(stack, removal_policy=policy)
    template = Template.from_stack(stack)
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::KMS::Key",
    ):
        (_, resource) = only(template, resource_type)
        assert resource["DeletionPolicy"] == expected, resource_type
        assert resource["UpdateReplacePolicy"] == expected, resource_type


# --- image sources --------------------------------------------------------------------------


def pull_statement_resources(template: Template) -> list[Any]:
    (_, policy) = only(template, "AWS::IAM::ManagedPolicy")
    return [
        s["Resource"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "ecr:BatchGetImage" in s["Action"]
    ]


@pytest.mark.parametrize(
    ("tag", "uri_suffix"),
    [("1.4.2", ":1.4.2"), ("sha256:" + "0f" * 32, "@sha256:" + "0f" * 32)],
)
def test_ecr_repository_image_pulls_only_that_repository(tag: str, uri_suffix: str) -> None:
    stack = make_stack()
    repository = ecr.Repository.from_repository_name(stack, "Repo", "models/server")
    build(stack, image=ContainerImage.from_ecr_repository(repository, tag))
    template = Template.from_stack(stack)
    (_, model) = only(template, "AWS::SageMaker::Model")
    image = json.dumps(model["Properties"]["PrimaryContainer"]["Image"])
    assert "models/server" in image
    assert uri_suffix in image
    (resource,) = pull_statement_resources(template)
    assert "repository/models/server" in json.dumps(resource)


def test_asset_image_synthesizes_without_docker_and_pulls_only_the_assets_repository(
    tmp_path: Path,
) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.12-slim\n")
    app = new_app(tmp_path / "out")
    stack = make_stack(app)
    build(stack, image=ContainerImage.from_asset(context))
    assembly = app.synth()
    template = Template.from_stack(stack)
    (_, model) = only(template, "AWS::SageMaker::Model")
    image = json.dumps(model["Properties"]["PrimaryContainer"]["Image"])
    assert "cdk-hnb659fds-container-assets-123456789012-us-east-1" in image
    (resource,) = pull_statement_resources(template)
    assert "repository/cdk-hnb659fds-container-assets-123456789012-us-east-1" in json.dumps(
        resource
    )
    # The image is pinned by the build context's content hash, recorded for `cdk deploy` to build.
    manifest = json.loads((Path(assembly.directory) / "Options.assets.json").read_text())
    (image_asset,) = manifest["dockerImages"].values()
    (destination,) = image_asset["destinations"].values()
    assert destination["imageTag"] in image
    assert image_asset["source"]["platform"] == "linux/amd64"


# --- model size warning ---------------------------------------------------------------------


def inspection_of(size: int, model_format: ModelFormat = "ubjson") -> ArtifactInspection:
    """What inspect_model_artifact reports for one model file of ``size`` bytes."""
    model = ModelFileInfo(
        name="xgboost-model",
        size=size,
        format=model_format,
        num_feature=10,
        objective="reg:squarederror",
        num_class=0,
        problem=None,
    )
    return ArtifactInspection(
        path=Path("model.tar.gz"),
        compressed_size=size // 4,
        uncompressed_size=size,
        model_files=(model,),
        ignored=(),
        errors=(),
        warnings=(),
    )


@pytest.mark.parametrize(
    ("memory", "uncompressed_mib", "warned"),
    # Binary model: about 75 MiB + 6 x its size to load.
    [(1024, 200, True), (1024, 150, False), (6144, 1100, True), (6144, 1000, False)],
)
def test_warns_when_the_model_clearly_cannot_fit(
    monkeypatch: pytest.MonkeyPatch, memory: int, uncompressed_mib: int, warned: bool
) -> None:
    # The thresholds on what the archive reports (a real 1 GiB archive takes seconds to read;
    # the real reading is tested below and in test_artifact.py).
    inspection = inspection_of(uncompressed_mib * 2**20)
    monkeypatch.setattr(
        "sagemaker_serverless.endpoint.inspect_model_artifact", lambda _path: inspection
    )
    stack = make_stack()
    build(stack, memory_size_in_mb=memory)
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("model artifact model.tar.gz is .* MiB uncompressed")
    )
    assert bool(warnings) is warned


def test_a_real_json_model_too_large_for_the_memory_is_warned_about(tmp_path: Path) -> None:
    # A real JSON model padded to 80 MiB (XGBoost ignores what follows the model's closing
    # brace): about 75 MiB + 12 x 80 MiB = 1035 MiB to load, over 1024 and under 2048.
    padded = model_bytes(raw_format="json") + b" " * (80 * 2**20)
    artifact = write_archive(tmp_path / "model.tar.gz", {"xgboost-model": padded})
    estimate = estimate_model_memory(inspect_model_artifact(artifact))
    assert estimate is not None
    assert estimate.json_format
    assert estimate.uncompressed_bytes == len(padded)
    assert estimate.peak_bytes == LOAD_BASE_BYTES + LOAD_FACTOR_JSON * len(padded)
    for memory, warned in ((1024, True), (2048, False)):
        stack = make_stack()
        build(stack, model_data=ModelData.from_asset(artifact), memory_size_in_mb=memory)
        warnings = Annotations.from_stack(stack).find_warning("*", Match.any_value())
        assert [w.entry.data for w in warnings] == (
            [
                f"The model artifact model.tar.gz is {len(padded) / 2**20:.0f} MiB uncompressed "
                "(JSON model); loading it needs about 1035 MiB, more than memory_size_in_mb=1024. "
                "Choose more memory; scripts/right_size.py (make size) measures what the model "
                "needs. [ack: sagemaker-serverless:model-too-large]"
            ]
            if warned
            else []
        )


def test_the_estimate_uses_every_model_files_real_size_and_format() -> None:
    sample = estimate_model_memory(inspect_model_artifact(SAMPLE_MODEL_ARTIFACT))
    assert sample is not None
    assert not sample.json_format  # the sample is saved as UBJSON
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as archive:
        (member,) = archive.getmembers()
    assert sample.uncompressed_bytes == member.size
    assert sample.peak_bytes == LOAD_BASE_BYTES + LOAD_FACTOR_BINARY * member.size
    json_model = inspection_of(10 * 2**20, "json")
    estimate = estimate_model_memory(json_model)
    assert estimate is not None
    assert estimate.peak_bytes == LOAD_BASE_BYTES + LOAD_FACTOR_JSON * 10 * 2**20


def test_no_estimate_from_an_archive_that_cannot_be_read(tmp_path: Path) -> None:
    # A truncated copy of the sample used to be estimated from its (garbage) last four bytes.
    data = SAMPLE_MODEL_ARTIFACT.read_bytes()
    truncated = tmp_path / "model.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    assert estimate_model_memory(inspect_model_artifact(truncated)) is None


def test_sample_model_fits_every_environment_without_warning() -> None:
    stack = make_stack()
    build(stack, memory_size_in_mb=1024)
    assert not Annotations.from_stack(stack).find_warning("*", Match.any_value())


# --- compliance packs -----------------------------------------------------------------------


def test_compliance_packs_fail_the_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    # Proves the packs run: an unencrypted endpoint config violates HIPAA, NIST and PCI rules.
    app = new_app(tmp_path)
    build(make_stack(app), encrypt=False)
    add_compliance_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {
        violation["ruleName"]
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
    }
    assert "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured" in rules


def test_wildcard_acknowledgements_are_exactly_the_two_findings() -> None:
    stack = make_stack()
    endpoint = build(stack)
    assert endpoint.execution_policy is not None
    acknowledged = {
        key: reason
        for entry in endpoint.execution_policy.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for key, reason in entry.data.items()
    }
    name = endpoint.cfn_endpoint.endpoint_name
    assert set(acknowledged) == {
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:123456789012:"
        f"log-group:/aws/sagemaker/Endpoints/{name}:log-stream:*]",
    }
    assert all(len(reason) > 60 for reason in acknowledged.values())


def test_model_data_from_s3_url_reads_exactly_that_object() -> None:
    stack = make_stack()
    build(stack, model_data=ModelData.from_s3_url("s3://my-models/team/v3/model.tar.gz"))
    template = Template.from_stack(stack)
    (_, model) = only(template, "AWS::SageMaker::Model")
    assert model["Properties"]["PrimaryContainer"]["ModelDataUrl"] == (
        "s3://my-models/team/v3/model.tar.gz"
    )
    (_, policy) = only(template, "AWS::IAM::ManagedPolicy")
    (get_object,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "s3:GetObject"
    ]
    assert get_object["Resource"] == "arn:aws:s3:::my-models/team/v3/model.tar.gz"


def test_the_projects_own_container_deploys_with_from_asset(tmp_path: Path) -> None:
    # container/Dockerfile builds from the repository root; its Dockerfile.dockerignore keeps the
    # context (and so the asset hash) to what it copies, plus the Dockerfile itself.
    app = new_app(tmp_path / "out")
    stack = make_stack(app)
    build(stack, image=ContainerImage.from_asset(PROJECT_ROOT, file="container/Dockerfile"))
    assembly = app.synth()
    manifest = json.loads((Path(assembly.directory) / "Options.assets.json").read_text())
    (image_asset,) = manifest["dockerImages"].values()
    assert image_asset["source"]["dockerFile"] == "container/Dockerfile"
    staged = Path(assembly.directory) / image_asset["source"]["directory"]
    assert sorted(str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file()) == [
        "container/Dockerfile",
        "container/requirements.txt",
        "scripts/__init__.py",
        *sorted(
            str(path.relative_to(PROJECT_ROOT))
            for path in (PROJECT_ROOT / "scripts" / "local_endpoint").glob("*.py")
        ),
        "scripts/serve_local.py",
    ]
