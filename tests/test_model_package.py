"""A Model Registry version as the endpoint's model: the template, the grants, the refusals."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from sagemaker_serverless import (
    ContainerImage,
    ModelData,
    ModelPackage,
    ModelPackageContainer,
    ModelPackageDescription,
    ServerlessConfigError,
    ServerlessEndpoint,
)
from tests.model_packages import (
    ACCOUNT,
    ARTIFACT_OBJECT_ARN,
    ARTIFACT_URL,
    DEPLOYABLE,
    IMAGE,
    KMS_KEY_ARN,
    REGION,
    REPOSITORY_ARN,
    VERSION_ARN,
    variant,
)


def _stack(region: str = REGION) -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Stack", env=cdk.Environment(account=ACCOUNT, region=region))


def _endpoint(
    description: ModelPackageDescription, *, region: str = REGION, **options: Any
) -> ServerlessEndpoint:
    return ServerlessEndpoint(
        _stack(region),
        "Endpoint",
        model_package=ModelPackage.from_description(description, **options),
    )


def _problems(description: ModelPackageDescription, **options: Any) -> tuple[str, ...]:
    with pytest.raises(ServerlessConfigError) as raised:
        _endpoint(description, **options)
    return raised.value.problems


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.from_stack(cdk.Stack.of(_endpoint(DEPLOYABLE)))


def test_model_references_the_version_and_nothing_else(template: Template) -> None:
    models = template.find_resources("AWS::SageMaker::Model")
    (model,) = models.values()
    container = model["Properties"]["PrimaryContainer"]
    assert container["ModelPackageName"] == VERSION_ARN
    assert "Image" not in container
    assert "ModelDataUrl" not in container


def test_execution_role_reads_exactly_the_package_artifact_and_image(template: Template) -> None:
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_action: dict[str, Any] = {}
    for statement in statements:
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            by_action[action] = statement["Resource"]
    assert by_action["s3:GetObject"] == ARTIFACT_OBJECT_ARN
    assert by_action["kms:Decrypt"] == KMS_KEY_ARN
    assert by_action["ecr:BatchGetImage"] == REPOSITORY_ARN
    assert by_action["ecr:GetAuthorizationToken"] == "*"
    assert "sagemaker:DescribeModelPackage" not in by_action  # SageMaker needs none at run time


def test_no_kms_grant_when_the_artifact_is_not_sse_kms() -> None:
    endpoint = _endpoint(variant(artifact_kms_key_arn=None))
    actions: list[str] = []
    for statement in endpoint.execution_policy_statements:
        action = statement.to_statement_json()["Action"]
        actions += [action] if isinstance(action, str) else action
    assert "kms:Decrypt" not in actions
    assert "s3:GetObject" in actions


def test_a_pending_version_is_refused_unless_explicitly_allowed() -> None:
    pending = variant(approval="PendingManualApproval")
    (problem,) = _problems(pending)
    assert "ModelApprovalStatus='PendingManualApproval'" in problem
    assert "allow_unapproved=True" in problem
    _endpoint(pending, allow_unapproved=True)  # no error


def test_a_rejected_version_is_refused_even_when_unapproved_is_allowed() -> None:
    (problem,) = _problems(variant(approval="Rejected"), allow_unapproved=True)
    assert "ModelApprovalStatus='Rejected'" in problem
    assert "never deployed" in problem


def test_an_incomplete_version_is_refused() -> None:
    (problem,) = _problems(variant(status="InProgress"))
    assert "ModelPackageStatus='InProgress'" in problem
    assert "'Completed'" in problem


def test_a_multi_container_version_is_refused() -> None:
    container = ModelPackageContainer(image=IMAGE, model_data_url=ARTIFACT_URL)
    (problem,) = _problems(variant(containers=(container, container)))
    assert "has 2 containers" in problem
    assert "exactly one" in problem


@pytest.mark.parametrize(
    ("changes", "sign"),
    [
        ({"certify_for_marketplace": True}, "CertifyForMarketplace=True"),
        ({"source_algorithm": True}, "SourceAlgorithmSpecification"),
        (
            {"containers": (ModelPackageContainer(image=IMAGE, product_id="prod-abc123"),)},
            "ProductId='prod-abc123'",
        ),
    ],
)
def test_a_marketplace_package_is_refused(changes: dict[str, object], sign: str) -> None:
    (problem,) = _problems(variant(**changes))
    assert "AWS Marketplace" in problem
    assert sign in problem


def test_an_unversioned_marketplace_arn_is_refused() -> None:
    marketplace = "arn:aws:sagemaker:us-east-1:865070037744:model-package/some-product-1a2b3c"
    (problem,) = _problems(variant(arn=marketplace))
    assert "not a Model Registry version ARN" in problem
    assert "Marketplace" in problem


def test_image_and_artifact_must_be_in_the_endpoint_region() -> None:
    elsewhere = variant(
        containers=(
            ModelPackageContainer(
                image=IMAGE.replace(REGION, "eu-west-1"), model_data_url=ARTIFACT_URL
            ),
        ),
        artifact_bucket_region="eu-west-1",
    )
    problems = _problems(elsewhere)
    assert any("its image is in region 'eu-west-1'" in p for p in problems)
    assert any("its artifact's bucket is in region 'eu-west-1'" in p for p in problems)


def test_a_package_in_another_region_is_refused() -> None:
    problems = _problems(DEPLOYABLE, region="eu-west-1")
    assert any("the package is in region 'us-east-1'" in p for p in problems)


def test_a_non_ecr_image_is_refused() -> None:
    (problem,) = _problems(
        variant(containers=(ModelPackageContainer(image="docker.io/library/xgb:1"),))
    )
    assert "not an Amazon ECR image URI" in problem


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        variant(status="Failed", approval="Rejected", certify_for_marketplace=True)
    )
    assert len(problems) == 3


def test_model_package_excludes_image_and_model_data() -> None:
    with pytest.raises(ServerlessConfigError) as raised:
        ServerlessEndpoint(
            _stack(),
            "Endpoint",
            image=ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5"),
            model_data=ModelData.from_s3_url("s3://bucket/model.tar.gz"),
            model_package=ModelPackage.from_description(DEPLOYABLE),
        )
    assert any("give model_package alone" in p for p in raised.value.problems)
    with pytest.raises(ServerlessConfigError) as raised:
        ServerlessEndpoint(_stack(), "Endpoint")
    assert any("image and model_data missing" in p for p in raised.value.problems)


def test_cross_account_package_warns_with_the_grants_it_needs() -> None:
    foreign = variant(
        arn=VERSION_ARN.replace(ACCOUNT, "999999999999"),
        containers=(
            ModelPackageContainer(
                image=IMAGE.replace(ACCOUNT, "999999999999"), model_data_url=ARTIFACT_URL
            ),
        ),
    )
    endpoint = _endpoint(foreign)
    messages = [
        entry.data
        for entry in endpoint.node.metadata
        if entry.type == "aws:cdk:warning" and isinstance(entry.data, str)
    ]
    assert any("sagemaker:DescribeModelPackage" in m and "999999999999" in m for m in messages)


def test_record_round_trips_through_json() -> None:
    assert ModelPackageDescription.from_json(DEPLOYABLE.to_json()) == DEPLOYABLE
    assert DEPLOYABLE.group_name == "churn-xgboost"
    assert DEPLOYABLE.version == 3
    with pytest.raises(ValueError, match="not a model package record"):
        ModelPackageDescription.from_json({"arn": VERSION_ARN})
