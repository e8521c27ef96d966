"""cdk-nag over the pipeline: five rule packs, and a reason for every finding left standing.

The packs check the pipeline's own constructs: the pipeline stack (without the environments'
stages) and each stage's smoke test access stack. The environments' endpoint stacks are the
same stacks ``make synth`` builds and are not judged here.

What CDK Pipelines generates cannot be shaped from outside (its roles, their inline policies and
the artifact bucket), so those findings are acknowledged one by one, on the construct that
raises them, each with its reason. Anything new (a new wildcard, a new resource) is not covered
and fails the synth and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NagPack,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)

from constructs import IConstruct

if TYPE_CHECKING:
    from .pipeline_stack import PipelineStack

NAG_PACKS: tuple[type[NagPack], ...] = (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)
# Rules that all three compliance packs (HIPAA, NIST 800-53 R5, PCI DSS 3.2.1) share.
_COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")

REASON_INLINE_POLICY = (
    "CDK writes this role's grants into the role's own policy (DefaultPolicy): it is attached "
    "to this one role only and is created, reviewed (template snapshot) and deleted with it."
)
REASON_ARTIFACT_GRANTS = (
    "CDK's grants on the pipeline's own artifact bucket and its own KMS key, nothing else: "
    "CodePipeline writes each execution's artifacts under new generated object keys, so the "
    "object actions need the bucket's /* and the standard grant action groups."
)
REASON_CODEBUILD_LOGS = (
    "CodeBuild creates the log streams and test reports of each build at run time; the "
    "wildcard stays inside this project's own log group and report groups."
)
REASON_ASSET_ROLE = (
    "CDK Pipelines' asset publishing role serves every asset project, whose names are "
    "generated: it writes their /aws/codebuild/* logs and reports and starts their builds; "
    "its only other power is assuming the target accounts' CDK file-publishing roles."
)
REASON_SELF_MUTATION = (
    "The self-mutation step runs `cdk deploy` of this pipeline: it may assume only this "
    "account's CDK bootstrap roles (the iam:ResourceTag/aws-cdk:bootstrap-role condition), and "
    "its only other wildcard is read-only: cloudformation:DescribeStacks and s3:ListBucket, "
    "which the CLI uses to read the stack and bootstrap state."
)
REASON_CODEPIPELINE_SOURCE = (
    "The project's source is the pipeline (Source type CODEPIPELINE), not a repository URL: "
    "the repository is read once, by the Source action, through the CodeConnections "
    "connection, so no project holds repository credentials to protect with OAuth."
)
REASON_SMOKE_READ = (
    "The smoke test's live-configuration check reads only what this environment's stack "
    "created: CloudFormation names its SageMaker endpoint configs and models "
    "<logical id>-<random suffix> and makes a new one on every replacement, and a stack's ARN "
    "ends in an id assigned at creation; the wildcard stands for that generated part alone, "
    "with read-only Describe/GetTemplate actions."
)
REASON_BUCKET_LOGGING = (
    "Pipeline artifact bucket: public access is blocked, TLS is enforced, it is encrypted with "
    "the pipeline's KMS key, and only the pipeline's roles and the target accounts' CDK deploy "
    "roles may read it; each execution's use of it is in the pipeline history, and CloudTrail "
    "data events can audit object access where required. A server access log bucket would "
    "need this same exemption."
)
REASON_BUCKET_VERSIONING = (
    "Pipeline artifact bucket: every execution writes new objects under new keys and never "
    "overwrites one, so versions would keep nothing; artifacts are rebuilt from the commit."
)
REASON_BUCKET_REPLICATION = (
    "Pipeline artifact bucket: its objects are intermediate build outputs, rebuilt from the "
    "source commit by re-running the pipeline; a replica would protect nothing."
)


@dataclass(frozen=True)
class NagFinding:
    pack: str
    rule: str  # e.g. "AwsSolutions-IAM5[Resource::*]"
    severity: str  # "error" or "warning"
    path: str  # construct path of the resource


def pipeline_nag_scopes(stack: PipelineStack) -> list[IConstruct]:
    """The pipeline's own constructs (the environments' endpoint stacks excluded)."""
    own = [child for child in stack.node.children if not isinstance(child, cdk.Stage)]
    return own + [stage.smoke_test_access for stage in stack.stages]


def nag_findings(
    scopes: Iterable[IConstruct], packs: Sequence[type[NagPack]] = NAG_PACKS
) -> list[NagFinding]:
    """Every unacknowledged finding of ``packs`` on ``scopes``.

    cdk-nag itself honours acknowledgements written without a namespace
    (``AwsSolutions-IAM5[...]``); CDK's synth-time validation also honours those naming the
    pack (``AwsSolutions::AwsSolutions-IAM5[...]``) on the resource or an ancestor. Both count.
    """
    findings: list[NagFinding] = []
    for pack_type in packs:
        pack = pack_type()
        namespace = pack.name.replace(" ", "-")
        for scope in scopes:
            constructs = {c.node.path: c for c in scope.node.find_all()}
            for violation in pack.validate_scope(scope).violations:
                findings += [
                    NagFinding(
                        pack=pack.name,
                        rule=violation.rule_name,
                        severity=violation.severity or "error",
                        path=resource.construct_path or "",
                    )
                    for resource in violation.violating_resources
                    if f"{namespace}::{violation.rule_name}"
                    not in _acknowledged_ids(constructs.get(resource.construct_path or ""))
                ]
    return findings


def _acknowledged_ids(construct: IConstruct | None) -> set[str]:
    """The acknowledgement ids on ``construct`` and its ancestors."""
    found: set[str] = set()
    while construct is not None:
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY and entry.data:
                found |= set(entry.data)
        construct = construct.node.scope
    return found


@jsii.implements(cdk.IPolicyValidationPlugin)
class ScopedNagPlugin:
    """One cdk-nag pack as a synth-time validation plugin, limited to some constructs.

    cdk-nag's own packs, registered with ``Validations.of(app)``, walk the whole app.
    """

    def __init__(self, pack: NagPack, scopes: Sequence[IConstruct]) -> None:
        self._pack = pack
        self._scopes = tuple(scopes)

    @property
    def name(self) -> str:
        return self._pack.name

    @property
    def version(self) -> str | None:
        return self._pack.version

    @property
    def rule_ids(self) -> list[str] | None:
        return self._pack.rule_ids

    def validate(self, context: Any) -> cdk.PolicyValidationPluginReport:
        violations = [
            violation
            for scope in self._scopes
            for violation in self._pack.validate_scope(scope).violations
        ]
        return cdk.PolicyValidationPluginReport(
            success=not any(v.severity in (None, "error") for v in violations),
            violations=violations,
        )


def add_pipeline_nag_checks(stack: PipelineStack) -> None:
    """Run the five packs over the pipeline at synth; unacknowledged errors fail the synth."""
    scopes = pipeline_nag_scopes(stack)
    cdk.Validations.of(stack).add_plugins(
        *(ScopedNagPlugin(pack_type(), scopes) for pack_type in NAG_PACKS)
    )


def _acknowledge(scope: IConstruct, reason: str, *finding_ids: str) -> None:
    cdk.Validations.of(scope).acknowledge(
        *(cdk.Acknowledgment(id=finding_id, reason=reason) for finding_id in finding_ids)
    )


def _compliance(rule: str, packs: Sequence[str] = _COMPLIANCE_PACKS) -> list[str]:
    return [f"{pack}-{rule}" for pack in packs]


# NIST 800-53 R5 has no CodeBuild source rule; HIPAA and PCI DSS do.
_SOURCE_REPO_URL = _compliance(
    "CodeBuildProjectSourceRepoUrl", packs=("HIPAA.Security", "PCI.DSS.321")
)


def _iam5(*items: str) -> list[str]:
    return [f"AwsSolutions-IAM5[{item}]" for item in items]


class _Findings:
    """The finding ids CDK Pipelines' generated policies raise in ``stack``."""

    def __init__(self, stack: PipelineStack) -> None:
        self._stack = stack
        self.partition = str(stack.resolve(stack.partition))
        self.region = stack.region
        self.account = stack.account
        bucket = stack.pipeline.pipeline.artifact_bucket
        bucket_id = self.logical_id(bucket)
        self.artifact_read = _iam5(
            "Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*"
        ) + _iam5(f"Resource::<{bucket_id}.Arn>/*")
        self.artifact_write = _iam5("Action::s3:Abort*", "Action::s3:DeleteObject*")
        self.artifact_key = _iam5("Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")

    def logical_id(self, construct: IConstruct) -> str:
        default_child = construct.node.default_child
        assert isinstance(default_child, cdk.CfnElement), construct.node.path
        return self._stack.resolve(self._stack.get_logical_id(default_child))  # type: ignore[no-any-return]

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def project_logs(self, project: codebuild.IProject) -> list[str]:
        project_id = self.logical_id(project)
        return _iam5(
            f"Resource::{self.arn('logs', f'log-group:/aws/codebuild/<{project_id}>:*')}",
            f"Resource::{self.arn('codebuild', f'report-group/<{project_id}>-*')}",
        )


def _role_of(scope: IConstruct | None) -> iam.IRole:
    assert isinstance(scope, iam.Role), scope
    return scope


def acknowledge_pipeline_findings(stack: PipelineStack) -> None:
    """Acknowledge, construct by construct, what CDK Pipelines generates (call after build)."""
    codepipeline = stack.pipeline.pipeline
    findings = _Findings(stack)
    inline = _compliance("IAMNoInlinePolicy")

    # The CodePipeline service role and the source action's role: read/write artifacts.
    source_stage = codepipeline.stages[0]
    source_action_name = source_stage.actions[0].action_properties.action_name
    source_role = _role_of(
        codepipeline.node.find_child(source_stage.stage_name)
        .node.find_child(source_action_name)
        .node.find_child("CodePipelineActionRole")
    )
    for role in (codepipeline.role, source_role):
        _acknowledge(role, REASON_INLINE_POLICY, *inline)
        _acknowledge(
            role,
            REASON_ARTIFACT_GRANTS,
            *findings.artifact_read,
            *findings.artifact_write,
            *findings.artifact_key,
        )

    # The synth project: reads the source, writes cdk.out.
    synth = stack.pipeline.synth_project
    synth_role = _role_of(synth.role)
    _acknowledge(synth, REASON_CODEPIPELINE_SOURCE, *_SOURCE_REPO_URL)
    _acknowledge(synth_role, REASON_INLINE_POLICY, *inline)
    _acknowledge(
        synth_role,
        REASON_ARTIFACT_GRANTS,
        *findings.artifact_read,
        *findings.artifact_write,
        *findings.artifact_key,
    )
    _acknowledge(synth_role, REASON_CODEBUILD_LOGS, *findings.project_logs(synth))

    # Self-mutation: `cdk deploy` of this stack through the bootstrap roles.
    mutation = stack.pipeline.self_mutation_project
    mutation_role = _role_of(mutation.role)
    _acknowledge(mutation, REASON_CODEPIPELINE_SOURCE, *_SOURCE_REPO_URL)
    _acknowledge(mutation_role, REASON_INLINE_POLICY, *inline)
    _acknowledge(
        mutation_role, REASON_ARTIFACT_GRANTS, *findings.artifact_read, *findings.artifact_key
    )
    _acknowledge(mutation_role, REASON_CODEBUILD_LOGS, *findings.project_logs(mutation))
    _acknowledge(
        mutation_role,
        REASON_SELF_MUTATION,
        *_iam5("Resource::*", f"Resource::arn:*:iam::{findings.account}:role/*"),
    )

    # Asset publishing: one role for every asset project.
    assets = stack.pipeline.node.find_child("Assets")
    asset_role = _role_of(assets.node.find_child("FileRole"))
    _acknowledge(assets, REASON_CODEPIPELINE_SOURCE, *_SOURCE_REPO_URL)
    _acknowledge(asset_role, REASON_INLINE_POLICY, *inline)
    _acknowledge(asset_role, REASON_ARTIFACT_GRANTS, *findings.artifact_read)
    _acknowledge(
        asset_role,
        REASON_ASSET_ROLE,
        *_iam5(
            "Resource::*",
            f"Resource::{findings.arn('logs', 'log-group:/aws/codebuild/*')}",
            f"Resource::{findings.arn('codebuild', 'report-group/*')}",
        ),
    )

    # The role CodePipeline's CodeBuild actions use to start their builds (no wildcards).
    _acknowledge(
        stack.pipeline.node.find_child("CodeBuildActionRole"), REASON_INLINE_POLICY, *inline
    )

    # The smoke steps: read the source artifact, write their logs; the role is ours, its
    # CodeBuild grants are CDK's.
    for step in stack.smoke_steps.values():
        project = step.project
        _acknowledge(project, REASON_CODEPIPELINE_SOURCE, *_SOURCE_REPO_URL)
        role = _role_of(project.role)
        _acknowledge(role, REASON_INLINE_POLICY, *inline)
        _acknowledge(role, REASON_ARTIFACT_GRANTS, *findings.artifact_read, *findings.artifact_key)
        _acknowledge(role, REASON_CODEBUILD_LOGS, *findings.project_logs(project))

    # Each stage's smoke test role reads what its endpoint stack deployed: the stack by its ARN
    # (whose id CloudFormation assigns) and the endpoint configs and models by the prefix of the
    # names CloudFormation generates. Namespaced, as CDK's validation of a pack reads it.
    for stage in stack.stages:
        access = stage.smoke_test_access
        _acknowledge(
            access.policy,
            REASON_SMOKE_READ,
            *(
                f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]"
                for resource in access.generated_name_resources
            ),
        )

    # The artifact bucket CDK Pipelines creates (KMS-encrypted, TLS only, no public access).
    bucket = codepipeline.artifact_bucket
    _acknowledge(
        bucket,
        REASON_BUCKET_LOGGING,
        "AwsSolutions-S1",
        *_compliance("S3BucketLoggingEnabled"),
    )
    _acknowledge(bucket, REASON_BUCKET_VERSIONING, *_compliance("S3BucketVersioningEnabled"))
    _acknowledge(bucket, REASON_BUCKET_REPLICATION, *_compliance("S3BucketReplicationEnabled"))
