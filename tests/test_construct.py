"""Behaviour of the ServerlessEndpoint construct and its factories, on small dedicated stacks."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_serverless import (
    ContainerImage,
    ModelData,
    ServerlessConfigError,
    ServerlessEndpoint,
    supported_algorithm_versions,
)
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.model_files import model_bytes, write_archive
from tests.synth import new_app

XGBOOST = ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")


def make_stack(region: str | None = "us-east-1", account: str | None = "123456789012") -> cdk.Stack:
    env = cdk.Environment(account=account, region=region) if region or account else None
    return cdk.Stack(new_app(), "TestStack", env=env)


def endpoint_template(stack: cdk.Stack | None = None, **overrides: Any) -> Template:
    stack = stack or make_stack()
    props: dict[str, Any] = {
        "image": XGBOOST,
        "model_data": ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
    } | overrides
    ServerlessEndpoint(stack, "Endpoint", **props)
    return Template.from_stack(stack)


def single(template: Template, resource_type: str) -> dict[str, Any]:
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, f"expected one {resource_type}, found {len(resources)}"
    resource: dict[str, Any] = dict(next(iter(resources.values())))
    return resource


def flat(value: Any) -> str:
    """A CloudFormation value as text: literal parts of Fn::Join/Fn::Sub, tokens as {Ref}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(flat(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if isinstance(value, dict) and "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    return "{" + ",".join(value) + "}"


def policy_statements(template: Template) -> list[dict[str, Any]]:
    """The statements of the endpoint's execution policy (the only customer-managed policy)."""
    statements: list[dict[str, Any]] = single(template, "AWS::IAM::ManagedPolicy")["Properties"][
        "PolicyDocument"
    ]["Statement"]
    return statements


@pytest.fixture(scope="module")
def default_template() -> Template:
    return endpoint_template()


def test_emits_one_model_config_endpoint_and_role(default_template: Template) -> None:
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::IAM::Role",
    ):
        default_template.resource_count_is(resource_type, 1)


def test_endpoint_config_is_serverless_with_defaults(default_template: Template) -> None:
    config = single(default_template, "AWS::SageMaker::EndpointConfig")["Properties"]
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert variant["VariantName"] == "AllTraffic"
    assert "InstanceType" not in variant
    assert "InitialInstanceCount" not in variant
    assert "DataCaptureConfig" not in config


def test_model_and_config_have_no_fixed_names(default_template: Template) -> None:
    assert "ModelName" not in single(default_template, "AWS::SageMaker::Model")["Properties"]
    config = single(default_template, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert "EndpointConfigName" not in config


def test_model_waits_for_the_role_policy(default_template: Template) -> None:
    # Model -> Role (ExecutionRoleArn) -> ManagedPolicy (ManagedPolicyArns): SageMaker can pull
    # the image and read the artifact as soon as the Model exists.
    model = single(default_template, "AWS::SageMaker::Model")["Properties"]
    (role_id,) = default_template.find_resources("AWS::IAM::Role")
    (policy_id,) = default_template.find_resources("AWS::IAM::ManagedPolicy")
    assert model["ExecutionRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    role = single(default_template, "AWS::IAM::Role")["Properties"]
    assert role["ManagedPolicyArns"] == [{"Ref": policy_id}]


def test_no_inline_policies(default_template: Template) -> None:
    default_template.resource_count_is("AWS::IAM::Policy", 0)
    assert "Policies" not in single(default_template, "AWS::IAM::Role")["Properties"]


def test_default_endpoint_name_is_stable_and_valid() -> None:
    first = single(endpoint_template(), "AWS::SageMaker::Endpoint")["Properties"]["EndpointName"]
    second = single(endpoint_template(), "AWS::SageMaker::Endpoint")["Properties"]["EndpointName"]
    assert first == second
    assert first.startswith("TestStack-Endpoint-")
    assert len(first) <= 63


def test_explicit_endpoint_name_is_used() -> None:
    template = endpoint_template(endpoint_name="my-endpoint")
    endpoint = single(template, "AWS::SageMaker::Endpoint")["Properties"]
    assert endpoint["EndpointName"] == "my-endpoint"


def test_role_trusts_only_sagemaker(default_template: Template) -> None:
    role = single(default_template, "AWS::IAM::Role")["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
        }
    ]
    # Only the endpoint's own customer-managed policy: no AWS managed policies.
    (policy_id,) = default_template.find_resources("AWS::IAM::ManagedPolicy")
    assert role["ManagedPolicyArns"] == [{"Ref": policy_id}]


def test_role_reads_exactly_the_model_object(default_template: Template) -> None:
    s3_statements = [
        s for s in policy_statements(default_template) if str(s["Action"]).startswith("s3:")
    ]
    assert len(s3_statements) == 1
    (statement,) = s3_statements
    assert statement["Action"] == "s3:GetObject"
    model = single(default_template, "AWS::SageMaker::Model")["Properties"]
    model_url = flat(model["PrimaryContainer"]["ModelDataUrl"])
    assert model_url.startswith("s3://")
    bucket_and_key = model_url.removeprefix("s3://")
    assert flat(statement["Resource"]) == f"arn:aws:s3:::{bucket_and_key}"


def test_wildcard_resources_only_for_unscopable_actions(default_template: Template) -> None:
    for statement in policy_statements(default_template):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert not any(action.endswith("*") for action in actions)
        if statement["Resource"] == "*":
            assert actions in (["ecr:GetAuthorizationToken"], ["cloudwatch:PutMetricData"])
        if actions == ["cloudwatch:PutMetricData"]:
            assert statement["Condition"] == {
                "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}
            }


def test_logs_are_scoped_to_the_endpoint_log_group(default_template: Template) -> None:
    name = single(default_template, "AWS::SageMaker::Endpoint")["Properties"]["EndpointName"]
    log_statements = [
        s for s in policy_statements(default_template) if "logs:PutLogEvents" in s["Action"]
    ]
    assert len(log_statements) == 1
    assert flat(log_statements[0]["Resource"]).endswith(
        f":log-group:/aws/sagemaker/Endpoints/{name}:log-stream:*"
    )


@pytest.mark.parametrize(
    ("region", "expected_uri", "expected_repository_arn"),
    [
        (
            "us-east-1",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5",
            "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost",
        ),
        (
            "eu-west-1",
            "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:3.0-5",
            "arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-xgboost",
        ),
        (
            "cn-north-1",
            "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:3.0-5",
            "arn:aws-cn:ecr:cn-north-1:450853457545:repository/sagemaker-xgboost",
        ),
        (
            "us-gov-west-1",
            "414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-xgboost:3.0-5",
            "arn:aws-us-gov:ecr:us-gov-west-1:414596584902:repository/sagemaker-xgboost",
        ),
    ],
)
def test_algorithm_image_resolves_per_region(
    region: str, expected_uri: str, expected_repository_arn: str
) -> None:
    template = endpoint_template(make_stack(region=region))
    model = single(template, "AWS::SageMaker::Model")["Properties"]
    assert model["PrimaryContainer"]["Image"] == expected_uri
    pull = [s for s in policy_statements(template) if "ecr:BatchGetImage" in s["Action"]]
    assert [s["Resource"] for s in pull] == [expected_repository_arn]


def test_agnostic_stack_looks_the_registry_up_by_region() -> None:
    template = endpoint_template(make_stack(region=None, account=None))
    mappings = template.to_json()["Mappings"]
    (mapping_id,) = mappings
    assert mappings[mapping_id]["eu-west-1"] == {"account": "141502667606"}
    assert len(mappings[mapping_id]) == len(
        ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")._accounts  # type: ignore[attr-defined]
    )
    image = single(template, "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]["Image"]
    parts = image["Fn::Join"][1]
    assert {"Fn::FindInMap": [mapping_id, {"Ref": "AWS::Region"}, "account"]} in parts
    assert {"Ref": "AWS::URLSuffix"} in parts
    assert flat(image).endswith(".dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/sagemaker-xgboost:3.0-5")


def test_two_endpoints_in_an_agnostic_stack_share_one_mapping() -> None:
    stack = make_stack(region=None, account=None)
    for name in ("One", "Two"):
        ServerlessEndpoint(
            stack,
            name,
            image=XGBOOST,
            model_data=ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
        )
    assert len(Template.from_stack(stack).to_json()["Mappings"]) == 1


def test_unknown_region_is_rejected() -> None:
    with pytest.raises(
        ServerlessConfigError, match=r"region='xx-nowhere-1' has no SageMaker xgboost"
    ):
        endpoint_template(make_stack(region="xx-nowhere-1"))


@pytest.mark.parametrize(
    ("algorithm", "version", "message"),
    [
        ("xgboost", "9.9-9", r"version='9.9-9' is not a known xgboost image; use one of .*3\.0-5"),
        ("linear-learner", "1", r"algorithm='linear-learner' is not supported"),
    ],
)
def test_unknown_algorithm_or_version_is_rejected(
    algorithm: str, version: str, message: str
) -> None:
    with pytest.raises(ServerlessConfigError, match=message):
        ContainerImage.from_sagemaker_algorithm(algorithm, version)


def test_supported_versions_come_from_the_sdk_table() -> None:
    versions = supported_algorithm_versions("xgboost")
    assert versions[-1] == "3.0-5"
    assert "1.7-1" in versions


def test_serverless_values_are_rendered() -> None:
    template = endpoint_template(
        memory_size_in_mb=6144, max_concurrency=200, provisioned_concurrency=200
    )
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                Match.object_like(
                    {
                        "ServerlessConfig": {
                            "MemorySizeInMB": 6144,
                            "MaxConcurrency": 200,
                            "ProvisionedConcurrency": 200,
                        }
                    }
                )
            ]
        },
    )


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ServerlessConfigError) as caught:
        endpoint_template(
            memory_size_in_mb=1000,
            max_concurrency=0,
            endpoint_name="-bad-",
            model_data=ModelData.from_asset("missing/model.tar.gz"),
        )
    message = str(caught.value)
    assert len(caught.value.problems) == 4
    assert "memory_size_in_mb=1000 is not allowed; use one of 1024, 2048" in message
    assert "max_concurrency=0 is not allowed; use a whole number from 1 to 200" in message
    assert "endpoint_name='-bad-'" in message
    assert "'missing/model.tar.gz' does not exist" in message
    assert "ServerlessEndpoint 'TestStack/Endpoint'" in message


def test_provisioned_above_max_is_rejected() -> None:
    with pytest.raises(ServerlessConfigError, match="provisioned_concurrency=6 is greater than"):
        endpoint_template(max_concurrency=5, provisioned_concurrency=6)


def test_tokens_are_not_validated() -> None:
    stack = make_stack()
    memory = cdk.CfnParameter(stack, "Memory", type="Number").value_as_number
    template = endpoint_template(stack, memory_size_in_mb=memory)
    config = single(template, "AWS::SageMaker::EndpointConfig")["Properties"]
    assert config["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] == {
        "Ref": "Memory"
    }


def test_asset_must_be_a_tar_gz(tmp_path: Path) -> None:
    model = tmp_path / "model.zip"
    model.write_bytes(b"x")
    with pytest.raises(ServerlessConfigError, match=r"model\.zip' is not a \.tar\.gz archive"):
        endpoint_template(model_data=ModelData.from_asset(model))


def test_from_bucket_reads_exactly_the_object_and_decrypts_with_its_key() -> None:
    stack = make_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Models", encryption_key=key)
    template = endpoint_template(
        stack, model_data=ModelData.from_bucket(bucket, "models/v1/model.tar.gz")
    )
    model = single(template, "AWS::SageMaker::Model")["Properties"]
    assert flat(model["PrimaryContainer"]["ModelDataUrl"]).endswith("/models/v1/model.tar.gz")
    statements = policy_statements(template)
    (get_object,) = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert flat(get_object["Resource"]).endswith("/models/v1/model.tar.gz")
    assert any("kms:Decrypt" in s["Action"] for s in statements)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("s3://bucket/model.tar.gz", "must be an object key inside the bucket"),
        ("models/model.pkl", "is not a .tar.gz archive"),
    ],
)
def test_from_bucket_rejects_bad_keys(key: str, message: str) -> None:
    stack = make_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "my-models")
    with pytest.raises(ServerlessConfigError, match=message):
        endpoint_template(stack, model_data=ModelData.from_bucket(bucket, key))


def test_grant_invoke_allows_invoke_on_this_endpoint_only() -> None:
    stack = make_stack()
    endpoint = ServerlessEndpoint(
        stack, "Endpoint", image=XGBOOST, model_data=ModelData.from_asset(SAMPLE_MODEL_ARTIFACT)
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    endpoint.grant_invoke(caller)
    template = Template.from_stack(stack)
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": Match.string_like_regexp("Caller")}]}}
    )
    (policy,) = policies.values()
    (endpoint_id,) = template.find_resources("AWS::SageMaker::Endpoint")
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "sagemaker:InvokeEndpoint", "Effect": "Allow", "Resource": {"Ref": endpoint_id}}
    ]


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"LOG_LEVEL": 20}, "environment['LOG_LEVEL']=20 is not a string"),
        ({"1BAD": "x"}, "environment key '1BAD' is not allowed"),
        ({"HAS-DASH": "x"}, "environment key 'HAS-DASH' is not allowed"),
        ({"LONG": "x" * 1025}, "environment['LONG'] is 1025 characters; at most 1024"),
        ({f"K{i}": "v" for i in range(101)}, "environment has 101 variables; at most 100"),
    ],
)
def test_environment_variables_within_sagemaker_limits(
    environment: dict[str, Any], message: str
) -> None:
    with pytest.raises(ServerlessConfigError) as caught:
        endpoint_template(environment=environment)
    assert message in str(caught.value)


def test_environment_at_the_limits_is_accepted() -> None:
    environment = {f"K{i}": "v" * 1024 for i in range(100)}
    template = endpoint_template(environment=environment)
    model = single(template, "AWS::SageMaker::Model")["Properties"]
    assert len(model["PrimaryContainer"]["Environment"]) == 100


# --- the model artifact, read at synth ------------------------------------------------------------

PACK = "tar -czf model.tar.gz -C <model dir> xgboost-model"


def endpoint_with(stack: cdk.Stack, artifact: Path, **overrides: Any) -> ServerlessEndpoint:
    props: dict[str, Any] = {"image": XGBOOST, "model_data": ModelData.from_asset(artifact)}
    return ServerlessEndpoint(stack, "Endpoint", **(props | overrides))


def truncated_sample(tmp_path: Path) -> Path:
    data = SAMPLE_MODEL_ARTIFACT.read_bytes()
    path = tmp_path / "model.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def warnings_of(stack: cdk.Stack) -> list[str]:
    return [
        str(warning.entry.data).partition(" [ack: ")[0]
        for warning in Annotations.from_stack(stack).find_warning("*", Match.any_value())
    ]


def test_the_sample_models_feature_count_is_read_at_synth() -> None:
    stack = make_stack()
    endpoint = endpoint_with(stack, SAMPLE_MODEL_ARTIFACT)
    assert endpoint.model_feature_count == 10
    assert warnings_of(stack) == []


def test_an_s3_artifacts_feature_count_is_unknown() -> None:
    stack = make_stack()
    endpoint = ServerlessEndpoint(
        stack,
        "Endpoint",
        image=XGBOOST,
        model_data=ModelData.from_s3_url("s3://my-models/v1/model.tar.gz"),
    )
    assert endpoint.model_feature_count is None


def test_an_artifact_that_is_not_gzip_is_reported_with_every_other_problem(
    tmp_path: Path,
) -> None:
    artifact = tmp_path / "model.tar.gz"
    artifact.write_bytes(b"\x00\x01\x02\x03" + bytes(1020))
    with pytest.raises(ServerlessConfigError) as caught:
        endpoint_with(make_stack(), artifact, memory_size_in_mb=1000)
    assert caught.value.problems == (
        "memory_size_in_mb=1000 is not allowed; use one of 1024, 2048, 3072, 4096, 5120, 6144",
        f"model artifact '{artifact}' is not a gzip file (it starts with bytes 00 01 02 03, not "
        f"1f 8b); SageMaker needs a gzip-compressed tar archive: create it with {PACK}",
    )
    assert "Traceback" not in str(caught.value)


def test_a_truncated_artifact_is_an_error_and_never_a_size_estimate(tmp_path: Path) -> None:
    # It used to synthesize with "loading it needs about 9931 MiB" from its last four bytes.
    artifact = truncated_sample(tmp_path)
    for image in (XGBOOST, ContainerImage.from_ecr_repository(ecr_repository(), "1.0")):
        with pytest.raises(ServerlessConfigError) as caught:
            endpoint_with(make_stack(), artifact, image=image)
        assert caught.value.problems == (
            f"model artifact '{artifact}' is truncated: its gzip stream ends before its end "
            "marker (an interrupted download or copy?); build or download it again",
        )
        assert "MiB" not in str(caught.value)


def ecr_repository() -> ecr.IRepository:
    return ecr.Repository.from_repository_arn(
        make_stack(), "Repo", "arn:aws:ecr:us-east-1:123456789012:repository/models/server"
    )


def test_a_file_xgboost_cannot_load_fails_only_on_the_xgboost_image(tmp_path: Path) -> None:
    artifact = write_archive(tmp_path / "model.tar.gz", {"model.onnx": b"\x08\x07onnx-ish"})
    with pytest.raises(ServerlessConfigError) as caught:
        endpoint_with(make_stack(), artifact)
    (problem,) = caught.value.problems
    assert problem.startswith(
        f"model file 'model.onnx' in '{artifact}' cannot be loaded by XGBoost: it is not JSON, "
        "UBJSON or a pickle"
    )
    # Another image reads the model its own way: a sound archive is all synth can ask.
    stack = make_stack()
    image = ContainerImage.from_ecr_repository(ecr_repository(), "1.0")
    endpoint = endpoint_with(stack, artifact, image=image)
    assert endpoint.model_feature_count is None
    assert warnings_of(stack) == []


def test_a_broken_xgboost_file_is_a_warning_on_another_image(tmp_path: Path) -> None:
    artifact = write_archive(
        tmp_path / "model.tar.gz", {"xgboost-model": model_bytes(raw_format="json")[:-100]}
    )
    stack = make_stack()
    image = ContainerImage.from_ecr_repository(ecr_repository(), "1.0")
    endpoint_with(stack, artifact, image=image)
    (warning,) = warnings_of(stack)
    assert warning.startswith(
        f"model file 'xgboost-model' in '{artifact}' cannot be loaded by XGBoost: JSON model is "
        "not valid JSON"
    )


def test_no_model_file_at_the_root_fails_on_every_image(tmp_path: Path) -> None:
    artifact = write_archive(tmp_path / "model.tar.gz", {"model/xgboost-model": model_bytes()})
    for image in (XGBOOST, ContainerImage.from_ecr_repository(ecr_repository(), "1.0")):
        with pytest.raises(ServerlessConfigError, match="has no model file at its root"):
            endpoint_with(make_stack(), artifact, image=image)


def test_a_pickled_model_is_a_warning_and_is_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str, str]]:
            return (open, (str(marker), "w"))

    artifact = write_archive(
        tmp_path / "model.tar.gz", {"xgboost-model": pickle.dumps(Payload(), protocol=4)}
    )
    stack = make_stack()
    endpoint = endpoint_with(stack, artifact)
    assert not marker.exists()
    assert endpoint.model_feature_count is None
    (warning,) = warnings_of(stack)
    assert warning.startswith(
        f"model file 'xgboost-model' in '{artifact}' is a pickle (a pickled Booster?): it cannot "
        "be verified at synth without executing it; feature count unknown."
    )


def test_an_ensemble_must_agree_and_be_enabled(tmp_path: Path) -> None:
    agreeing = write_archive(
        tmp_path / "model.tar.gz", {"a": model_bytes(), "b": model_bytes(raw_format="json")}
    )
    stack = make_stack()
    assert endpoint_with(stack, agreeing).model_feature_count == 10
    assert warnings_of(stack) == []
    stack = make_stack()
    endpoint_with(stack, agreeing, environment={"SAGEMAKER_INFERENCE_ENSEMBLE": "false"})
    assert warnings_of(stack) == [
        "environment SAGEMAKER_INFERENCE_ENSEMBLE='false': the XGBoost image then loads only one "
        f"of the 2 model files in '{agreeing}', the first in directory order, which is not "
        "defined: keep one model file in the archive"
    ]
    disagreeing = write_archive(
        tmp_path / "model.tar.gz", {"a": model_bytes(), "b": model_bytes("binary:logistic")}
    )
    with pytest.raises(ServerlessConfigError, match=r"disagree on their feature count \('a': 10"):
        endpoint_with(make_stack(), disagreeing)
