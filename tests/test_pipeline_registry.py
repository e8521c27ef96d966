"""The pipeline follows Model Registry approvals: the trigger, the refresh, the grants."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from sagemaker_serverless import ModelPackageContainer, ServerlessConfigError
from stacks import pipeline_registry, pipeline_stack
from stacks.config import ENVIRONMENTS, EnvironmentConfig
from stacks.pipeline_nag import nag_findings, pipeline_nag_scopes
from stacks.pipeline_registry import EVENT_DETAIL_TYPE, REFRESH_ALL, followed_groups
from tests.model_packages import DEPLOYABLE
from tests.synth import PIPELINE_EXAMPLE_CONTEXT, SynthesizedPipeline, synthesize_pipeline

# The registry in its own account, in the region of the example pipeline's stages.
REGISTRY_ACCOUNT, REGION, GROUP = "555555555555", "eu-west-1", "churn-xgboost"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/{GROUP}"
KEY = f"sagemaker-model-package:account={REGISTRY_ACCOUNT}:region={REGION}:group={GROUP}"
RECORD = dataclasses.replace(
    DEPLOYABLE,
    arn=f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/{GROUP}/7",
    containers=(
        ModelPackageContainer(
            image=f"{REGISTRY_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn/serving:7",
            model_data_url="s3://registry-artifacts/churn/7/model.tar.gz",
        ),
    ),
    artifact_bucket_region=REGION,
    artifact_kms_key_arn=None,
)


def _environments(model_package: str) -> tuple[EnvironmentConfig, ...]:
    """prod deploys ``model_package``, in the registry's region (also outside the pipeline)."""
    return tuple(
        dataclasses.replace(e, model_package=model_package, region=REGION)
        if e.name == "prod"
        else e
        for e in ENVIRONMENTS
    )


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedPipeline:
    context: dict[str, Any] = dict(PIPELINE_EXAMPLE_CONTEXT) | {KEY: RECORD.to_json()}
    return synthesize_pipeline(
        tmp_path_factory.mktemp("pipeline-registry"), context, _environments(GROUP_ARN)
    )


def _resources(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def test_an_approval_in_the_group_starts_the_pipeline(pipeline: SynthesizedPipeline) -> None:
    template = pipeline.template()
    (rule,) = _resources(template, "AWS::Events::Rule")
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == [EVENT_DETAIL_TYPE]
    assert pattern["account"] == [REGISTRY_ACCOUNT]
    assert pattern["detail"] == {
        "ModelPackageGroupName": [GROUP],
        "ModelApprovalStatus": ["Approved"],
    }
    (target,) = rule["Properties"]["Targets"]
    assert "codepipeline" in str(target["Arn"])


def test_the_registry_account_may_forward_its_events(pipeline: SynthesizedPipeline) -> None:
    (policy,) = _resources(pipeline.template(), "AWS::Events::EventBusPolicy")
    statement = policy["Properties"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{REGISTRY_ACCOUNT}:root"}
    assert statement["Condition"] == {"StringEquals": {"events:detail-type": EVENT_DETAIL_TYPE}}


def test_synth_step_refreshes_before_it_synthesizes(pipeline: SynthesizedPipeline) -> None:
    commands = pipeline.stack.synth_step.commands
    assert commands.index(REFRESH_ALL) < next(
        i for i, c in enumerate(commands) if c.startswith("make synth")
    )


def test_synth_role_reads_only_the_group_and_the_recorded_bucket(
    pipeline: SynthesizedPipeline,
) -> None:
    statements = [
        statement
        for policy in _resources(pipeline.template(), "AWS::IAM::Policy")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:" in str(statement["Action"]) or "s3:GetBucketLocation" in str(statement)
    ]
    resources = {str(s["Action"]): s["Resource"] for s in statements}
    assert resources["sagemaker:ListModelPackages"] == GROUP_ARN
    assert resources["sagemaker:DescribeModelPackage"] == (
        f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/{GROUP}/*"
    )
    assert resources["s3:GetBucketLocation"] == "arn:aws:s3:::registry-artifacts"


def test_prod_stage_deploys_the_recorded_version(pipeline: SynthesizedPipeline) -> None:
    stage = next(s for s in pipeline.stack.stages if s.environment.name == "prod")
    template = pipeline.stage_template("prod", stage.endpoint_stack)
    (model,) = _resources(template, "AWS::SageMaker::Model")
    assert model["Properties"]["PrimaryContainer"]["ModelPackageName"] == RECORD.arn


def test_the_five_packs_find_nothing_left(pipeline: SynthesizedPipeline) -> None:
    assert nag_findings(pipeline_nag_scopes(pipeline.stack)) == []


def test_each_registry_acknowledgement_matches_a_real_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[tuple[str, str]] = []
    monkeypatch.setattr(
        pipeline_registry,
        "acknowledge",
        lambda scope, reason, *ids: given.extend((scope.node.path, i) for i in ids),
    )
    monkeypatch.setattr(pipeline_stack, "add_pipeline_nag_checks", lambda stack: None)
    context: dict[str, Any] = dict(PIPELINE_EXAMPLE_CONTEXT) | {KEY: RECORD.to_json()}
    bare = synthesize_pipeline(tmp_path, context, _environments(GROUP_ARN))
    raw = {(f.rule, f.path) for f in nag_findings(pipeline_nag_scopes(bare.stack))}
    assert len(given) == 6
    for path, rule in given:
        assert any(r == rule and p.startswith(path) for r, p in raw), (path, rule)


def test_a_group_name_without_arn_is_refused_in_a_pipeline() -> None:
    with pytest.raises(ServerlessConfigError, match="give the group's ARN"):
        followed_groups(_environments(GROUP))


def test_a_pinned_version_is_not_followed() -> None:
    assert followed_groups(_environments(RECORD.arn)) == []


def test_without_packages_nothing_is_followed(project_root: Path) -> None:
    assert followed_groups(ENVIRONMENTS) == []
