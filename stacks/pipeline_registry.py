"""The pipeline follows Model Registry approvals.

For every environment whose ``model_package`` names a group (not a pinned version), an approval
in that group ("SageMaker Model Package State Change" with ModelApprovalStatus Approved) starts
the pipeline, and its synth step runs ``make refresh-model ENV=all`` before ``make synth``, so
the run deploys the latest approved version through dev -> staging -> (approval) -> prod.

Trade-off (docs/model-registry.md): a pipeline-resolved version is deployed without a commit that
shows it; cdk.context.json in the repository keeps what was last reviewed. Pin a version ARN in
an environment to deploy only what a pull request recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam

from constructs import IConstruct
from sagemaker_serverless import ModelPackageDescription, ServerlessConfigError

from .config import EnvironmentConfig
from .model_registry import PackageSource, package_source

if TYPE_CHECKING:
    from .pipeline_stack import PipelineStack

REFRESH_ALL = "make refresh-model ENV=all"
EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"
REASON_REGISTRY_READ = (
    "The synth step resolves the latest approved version of each followed model package "
    "group: its versions' ARNs end in version numbers that do not exist yet (/*), and their "
    "artifacts are new objects under the bucket where the recorded version's artifact is (/*); "
    "read-only actions (DescribeModelPackage, HeadObject)."
)
REASON_INLINE = (
    "CDK writes the EventBridge target role's one grant (codepipeline:StartPipelineExecution on "
    "this pipeline) into the role's own policy, attached to this one role only."
)
REASON_NO_DLQ = (
    "A lost trigger loses nothing: the approval stays in the Model Registry, and the next "
    "approval, push or a manual 'Release change' resolves and deploys the latest approved "
    "version; a dead-letter queue would hold events no one replays."
)


def followed_groups(
    environments: Iterable[EnvironmentConfig],
) -> list[PackageSource]:
    """The groups whose approvals start the pipeline; raises for a group named without ARN."""
    sources: dict[str, PackageSource] = {}
    problems = []
    for environment in environments:
        if environment.model_package is None:
            continue
        source = package_source(environment.model_package, account=None, region=None)
        if isinstance(source, str):
            problems.append(
                f"environment {environment.name!r}: model_package={environment.model_package!r} "
                "names a group without its ARN; in a pipeline the synth step runs in another "
                "account than the stages: give the group's ARN (arn:aws:sagemaker:<region>:"
                "<account>:model-package-group/<name>)"
            )
        elif source.version_arn is None:
            sources[source.context_key] = source
    if problems:
        raise ServerlessConfigError(problems, subject="pipeline model packages")
    return [sources[key] for key in sorted(sources)]


def recorded_buckets(sources: Sequence[PackageSource], context: Any) -> list[str]:
    """The artifact buckets of the versions recorded for ``sources`` (cdk.context.json)."""
    buckets = set()
    for source in sources:
        value = context(source.context_key)
        if not isinstance(value, dict):
            continue
        for container in ModelPackageDescription.from_json(value).containers:
            url = container.model_data_url or ""
            if url.startswith("s3://"):
                buckets.add(url[len("s3://") :].split("/", 1)[0])
    return sorted(buckets)


def follow_approvals(stack: PipelineStack, sources: Sequence[PackageSource]) -> None:
    """The approval trigger, and what the synth step needs to resolve versions (after build)."""
    codepipeline = stack.pipeline.pipeline
    rule = events.Rule(
        stack,
        "ModelPackageApproved",
        description="Starts the pipeline when a followed Model Registry group approves a version",
        event_pattern=events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=[EVENT_DETAIL_TYPE],
            account=sorted({source.account for source in sources}),
            detail={
                "ModelPackageGroupName": sorted({source.group for source in sources}),
                "ModelApprovalStatus": ["Approved"],
            },
        ),
    )
    rule.add_target(targets.CodePipeline(codepipeline))
    _allow_registry_accounts(stack, sources)
    _grant_synth_reads(stack, sources)
    acknowledge(rule, REASON_NO_DLQ, "Serverless-EventBusDLQ")
    # targets.CodePipeline puts its role (one per pipeline) next to the pipeline.
    acknowledge(
        codepipeline.node.find_child("EventsRole"),
        REASON_INLINE,
        *(
            f"{pack}-IAMNoInlinePolicy"
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
        ),
    )


def _allow_registry_accounts(stack: PipelineStack, sources: Sequence[PackageSource]) -> None:
    """A registry in another account forwards its events to this account's default bus; the
    bus policy that lets it belongs here. (The forwarding rule belongs to the registry account:
    docs/model-registry.md.)"""
    partition = str(stack.resolve(stack.partition))
    for account in sorted({s.account for s in sources} - {stack.account}):
        events.CfnEventBusPolicy(
            stack,
            f"RegistryEvents{account}",
            statement_id=f"ModelRegistryEventsFrom{account}",
            statement={
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "events:PutEvents",
                "Resource": f"arn:{partition}:events:{stack.region}:{stack.account}:"
                "event-bus/default",
                "Condition": {"StringEquals": {"events:detail-type": EVENT_DETAIL_TYPE}},
            },
        )
    for region in sorted({s.region for s in sources} - {stack.region}):
        cdk.Annotations.of(stack).add_warning_v2(
            "model-registry:cross-region-events",
            f"a followed model package group is in {region}, the pipeline in {stack.region}: "
            "EventBridge rules are regional; forward the registry's events to this region's "
            "default bus (docs/model-registry.md) or approvals will not start the pipeline",
        )


def _grant_synth_reads(stack: PipelineStack, sources: Sequence[PackageSource]) -> None:
    role = stack.pipeline.synth_project.role
    assert role is not None
    partition = str(stack.resolve(stack.partition))
    group_arns = [
        f"arn:{partition}:sagemaker:{s.region}:{s.account}:model-package-group/{s.group}"
        for s in sources
    ]
    version_arns = [
        f"arn:{partition}:sagemaker:{s.region}:{s.account}:model-package/{s.group}/*"
        for s in sources
    ]
    buckets = recorded_buckets(sources, stack.node.try_get_context)
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sagemaker:ListModelPackages"], resources=group_arns)
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=version_arns)
    )
    if buckets:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[f"arn:{partition}:s3:::{b}/*" for b in buckets]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation"],
                resources=[f"arn:{partition}:s3:::{b}" for b in buckets],
            )
        )
    flat = [*version_arns, *(f"arn:{partition}:s3:::{b}/*" for b in buckets)]
    acknowledge(
        role, REASON_REGISTRY_READ, *(f"AwsSolutions-IAM5[Resource::{arn}]" for arn in flat)
    )


def acknowledge(scope: IConstruct, reason: str, *finding_ids: str) -> None:
    """Each finding by id, with its reason (tests check that each matches a real finding)."""
    cdk.Validations.of(scope).acknowledge(
        *(cdk.Acknowledgment(id=finding_id, reason=reason) for finding_id in finding_ids)
    )
