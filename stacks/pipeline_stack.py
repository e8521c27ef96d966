"""The delivery pipeline: CDK Pipelines deploying every environment in order, smoke-testing each.

Source (a CodeConnections repository) -> Synth (``make test``, then ``make synth``, exactly as on
a laptop) -> UpdatePipeline (self-mutation) -> Assets -> one stage per environment in the order
of ``stacks/config.py`` (dev -> staging -> prod), each deploying that environment's stack to its
own account/region and then running the smoke script (``python -m scripts.smoke_test``) against
the endpoint it deployed.
A manual approval precedes the environments in ``approval_before`` (prod).

Cross-account: the smoke step's CodeBuild project runs in the pipeline account, and a SageMaker
endpoint has no resource policy, so the step assumes a role in the environment's account (the
``SmokeTestAccess`` stack of the stage) that may only describe and invoke that one endpoint, and
read what its live-configuration check compares: that one stack's template and resources, and
the endpoint configs and models that stack creates.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines

from constructs import Construct
from sagemaker_serverless import ServerlessConfigError

from .config import PROJECT_ROOT, EnvironmentConfig, SmokePayload
from .pipeline_config import (
    PipelineConfig,
    ResolvedPipeline,
    smoke_test_role_name,
    smoke_test_runner_role_name,
)
from .pipeline_nag import acknowledge_pipeline_findings, add_pipeline_nag_checks
from .pipeline_registry import REFRESH_ALL, follow_approvals, followed_groups
from .serverless_stack import ServerlessEndpointStack

# CodeBuild's Ubuntu 22.04 image; Python pinned to the version the test suite runs on.
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
BUILD_PYTHON_VERSION = "3.11"
SMOKE_TEST_PROFILE = "smoke-test"
# cdk-assets publishes the model artifact to each environment's bootstrap bucket; pinned (the
# npm release current when this was written) rather than `latest`, so a run does not change tools.
CDK_ASSETS_VERSION = "4.7.3"
# The smoke script waits up to 20 minutes for InService; leave room for installing boto3.
SMOKE_TEST_TIMEOUT = cdk.Duration.minutes(30)


def pinned_cdk_cli_version() -> str:
    """The aws-cdk CLI version of package.json: self-mutation deploys with the laptop's CLI."""
    version: str = json.loads((PROJECT_ROOT / "package.json").read_text())["devDependencies"][
        "aws-cdk"
    ]
    return version


def pinned_requirement(package: str) -> str:
    """``package==version`` as pinned in requirements.txt (one source of versions)."""
    for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines():
        if line.strip().lower().startswith(f"{package.lower()}=="):
            return line.strip()
    raise LookupError(f"requirements.txt does not pin {package}")


def endpoint_arn(scope: Construct, endpoint_stack: ServerlessEndpointStack) -> str:
    """The ARN of ``endpoint_stack``'s endpoint for use in ``scope``, from its literal name.

    SageMaker writes endpoint names lowercased in ARNs (an IAM statement with the mixed-case
    name would not match). The literal name also keeps the environment's template free of any
    cross-stack export.
    """
    name = endpoint_stack.endpoint.cfn_endpoint.endpoint_name
    if name is None or cdk.Token.is_unresolved(name):
        raise ServerlessConfigError(
            [f"endpoint_name={name!r} is not allowed in a pipeline; use a literal name"],
            subject=f"ServerlessEndpoint {endpoint_stack.endpoint.node.path!r}",
        )
    return cdk.Stack.of(scope).format_arn(
        service="sagemaker",
        region=endpoint_stack.region,
        account=endpoint_stack.account,
        resource="endpoint",
        resource_name=name.lower(),
    )


def generated_name_arns(
    scope: Construct,
    endpoint_stack: ServerlessEndpointStack,
    resource: cdk.CfnResource,
    *,
    arn_resource: str,
) -> list[str]:
    """ARNs of the SageMaker resources CloudFormation may name for ``resource``, as literals.

    CloudFormation names an AWS::SageMaker::Model or EndpointConfig ``<logical id>-<random>``
    (e.g. ``EndpointEndpointConfig5871F635-BOORCu7hWABi``), a new one on every replacement: the
    random part is the one wildcard. SageMaker authorizes some calls on the lower-cased name (as
    for endpoints) and others on the name as created, so both spellings are listed.
    """
    logical_id = endpoint_stack.resolve(endpoint_stack.get_logical_id(resource))
    stack = cdk.Stack.of(scope)
    arns = []
    for prefix in dict.fromkeys((logical_id, logical_id.lower())):
        arn = stack.resolve(
            stack.format_arn(
                service="sagemaker",
                region=endpoint_stack.region,
                account=endpoint_stack.account,
                resource=arn_resource,
                resource_name=f"{prefix}-*",
            )
        )
        if not isinstance(arn, str):
            raise ServerlessConfigError(
                [f"the {arn_resource} ARN of {endpoint_stack.stack_name} is not a literal: {arn}"],
                subject=f"stack {endpoint_stack.stack_name!r}",
            )
        arns.append(arn)
    return arns


def role_arn(scope: Construct, *, account: str, role_name: str) -> str:
    """The ARN of the IAM role ``role_name`` in ``account`` (in ``scope``'s partition)."""
    return cdk.Stack.of(scope).format_arn(
        service="iam", region="", account=account, resource="role", resource_name=role_name
    )


class SmokeTestAccessStack(cdk.Stack):
    """A role in the environment's account: what the smoke script does with one endpoint.

    Invoke and describe the endpoint; for the live-configuration check (scripts/smoke/drift.py),
    read the endpoint stack's template and resources, and describe the endpoint configs and
    models that stack creates (by their generated names' prefix). Nothing else; only the
    pipeline's smoke step role (by ARN, in the pipeline account) may assume it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: EnvironmentConfig,
        endpoint_stack: ServerlessEndpointStack,
        pipeline_account: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Smoke test access to the {environment.name} SageMaker endpoint",
            **kwargs,
        )
        # By name, not by reference: the runner role lives in another account's stack.
        runner_role_arn = role_arn(
            self, account=pipeline_account, role_name=smoke_test_runner_role_name(environment)
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=smoke_test_role_name(environment),
            description=f"Describe and invoke the {environment.name} endpoint (pipeline smoke)",
            assumed_by=iam.AccountPrincipal(pipeline_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": runner_role_arn}}
            ),
            max_session_duration=cdk.Duration.hours(1),
        )
        # A managed policy (not the role's inline DefaultPolicy): the HIPAA, NIST and PCI packs
        # ask for policies that can be reviewed and attached on their own.
        endpoint = endpoint_stack.endpoint
        stack_arn = self.resolve(
            self.format_arn(
                service="cloudformation",
                region=endpoint_stack.region,
                account=endpoint_stack.account,
                resource="stack",
                resource_name=f"{endpoint_stack.stack_name}/*",
            )
        )
        config_arns = generated_name_arns(
            self, endpoint_stack, endpoint.endpoint_config, arn_resource="endpoint-config"
        )
        model_arns = generated_name_arns(self, endpoint_stack, endpoint.model, arn_resource="model")
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=(
                f"Describe and invoke the {environment.name} endpoint, and read what its stack "
                "deployed (the smoke test's live-configuration check)"
            ),
            statements=[
                iam.PolicyStatement(
                    actions=["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
                    resources=[endpoint_arn(self, endpoint_stack)],
                ),
                iam.PolicyStatement(
                    actions=[
                        "cloudformation:DescribeStackResources",
                        "cloudformation:DescribeStacks",
                        "cloudformation:GetTemplate",
                    ],
                    resources=[stack_arn],
                ),
                iam.PolicyStatement(
                    actions=["sagemaker:DescribeEndpointConfig"], resources=config_arns
                ),
                iam.PolicyStatement(actions=["sagemaker:DescribeModel"], resources=model_arns),
            ],
            roles=[self.role],
        )
        # Each one acknowledged on the policy, with its reason (pipeline_nag.py).
        self.generated_name_resources: tuple[str, ...] = (stack_arn, *config_arns, *model_arns)
        for key, value in environment.tags.items():
            cdk.Tags.of(self).add(key, value)


class EnvironmentStage(cdk.Stage):
    """One environment as the pipeline deploys it, to its own account and region.

    The endpoint stack keeps its construct id and stack name (``SageMakerServerless-<env>``), so
    its template, and its endpoint's derived name, equal those of ``make synth``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: EnvironmentConfig,
        pipeline: PipelineConfig,
    ) -> None:
        target = pipeline.target(environment)
        super().__init__(
            scope,
            construct_id,
            env=cdk.Environment(account=target.account, region=target.region),
        )
        self.environment = environment
        self.endpoint_stack = ServerlessEndpointStack(
            self, environment.stack_name, config=environment, stack_name=environment.stack_name
        )
        self.smoke_test_access = SmokeTestAccessStack(
            self,
            f"{environment.stack_name}-smoke-test",
            stack_name=f"{environment.stack_name}-smoke-test",
            environment=environment,
            endpoint_stack=self.endpoint_stack,
            pipeline_account=pipeline.account,
        )


def synth_commands(pipeline: ResolvedPipeline, *, refresh_models: bool = False) -> list[str]:
    """The README's commands: set up and check everything, then synthesize.

    Context given on the command line (``-c pipeline:...``) is passed on, so the pipeline
    synthesizes itself as it was first deployed; ``PIPELINE`` values come from the commit.
    ``refresh_models``: resolve the followed Model Registry groups' latest approved versions
    into cdk.context.json first (stacks/pipeline_registry.py).
    """
    synth = "make synth"
    if pipeline.context:
        synth += f' CDK_SYNTH_ARGS="{pipeline.context_arguments()}"'
    return ["make test", *([REFRESH_ALL] if refresh_models else []), synth]


def smoke_test_commands(
    environment: EnvironmentConfig,
    region: str,
    payload: SmokePayload,
    *,
    feature_count: int | None = None,
) -> list[str]:
    """Assume the environment's smoke test role, then run the smoke script on its stack.

    ``--stack`` finds the endpoint from the stack's EndpointName output and runs the
    live-configuration check: an endpoint that answers but runs something other than what the
    stack deployed exits 3, and fails the stage like any other non-zero exit.
    ``feature_count`` (read from the model artifact at synth) makes the script refuse a payload
    row of another width: the endpoint would answer it 200 with a meaningless prediction.
    """
    check_width = f" --feature-count {feature_count}" if feature_count is not None else ""
    return [
        f"python -m pip install --quiet --disable-pip-version-check {pinned_requirement('boto3')}",
        # CodeBuild serves the project role's credentials like ECS does; the profile assumes the
        # environment's role with them.
        f'aws configure set profile.{SMOKE_TEST_PROFILE}.role_arn "$SMOKE_TEST_ROLE_ARN"',
        f"aws configure set profile.{SMOKE_TEST_PROFILE}.credential_source EcsContainer",
        # As a module from the checkout's root (CodeBuild's working directory): the script is a
        # package, scripts/smoke/. The payload is a file of the same checkout.
        "python -m scripts.smoke_test"
        f" --stack {shlex.quote(environment.stack_name)}"
        f" --region {region} --profile {SMOKE_TEST_PROFILE}"
        f" --payload {shlex.quote(payload.relative_path())}"
        f" --content-type {shlex.quote(payload.content_type)}{check_width}",
    ]


def _python_runtime() -> codebuild.BuildSpec:
    return codebuild.BuildSpec.from_object(
        {"phases": {"install": {"runtime-versions": {"python": BUILD_PYTHON_VERSION}}}}
    )


class PipelineStack(cdk.Stack):
    """The pipeline stack (in the pipeline account) with one stage per environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pipeline: ResolvedPipeline,
        environments: Iterable[EnvironmentConfig],
        **kwargs: Any,
    ) -> None:
        config = pipeline.config
        environments = tuple(environments)
        followed = followed_groups(environments)
        super().__init__(
            scope,
            construct_id,
            description="Delivery pipeline of the SageMaker Serverless endpoints",
            env=cdk.Environment(account=config.account, region=config.region),
            **kwargs,
        )
        self.source = pipelines.CodePipelineSource.connection(
            config.repository, config.branch, connection_arn=config.connection_arn
        )
        self.synth_step = pipelines.ShellStep(
            "Synth",
            input=self.source,
            commands=synth_commands(pipeline, refresh_models=bool(followed)),
            primary_output_directory="cdk.out",
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=construct_id,
            synth=self.synth_step,
            cli_version=pinned_cdk_cli_version(),
            cdk_assets_cli_version=CDK_ASSETS_VERSION,
            # A KMS-encrypted artifact bucket that the environments' accounts can read.
            cross_account_keys=True,
            enable_key_rotation=True,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE),
                partial_build_spec=_python_runtime(),
            ),
        )
        self.stages: list[EnvironmentStage] = []
        self.smoke_steps: dict[str, pipelines.CodeBuildStep] = {}
        self.approval_steps: dict[str, pipelines.ManualApprovalStep] = {}
        for environment in environments:
            runner_role = iam.Role(
                self,
                f"SmokeTestRunner-{environment.name}",
                role_name=smoke_test_runner_role_name(environment),
                description=f"CodeBuild role of the {environment.name} smoke test step",
                assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            )
            stage = EnvironmentStage(
                self, environment.name, environment=environment, pipeline=config
            )
            target = config.target(environment)
            # By name, not by reference: the role lives in the environment's account.
            smoke_test_role_arn = role_arn(
                self, account=target.account, role_name=smoke_test_role_name(environment)
            )
            smoke = pipelines.CodeBuildStep(
                f"SmokeTest-{environment.name}",
                input=self.source,
                commands=smoke_test_commands(
                    environment,
                    target.region,
                    config.smoke_payload_for(environment),
                    feature_count=stage.endpoint_stack.endpoint.model_feature_count,
                ),
                env={"SMOKE_TEST_ROLE_ARN": smoke_test_role_arn},
                role=runner_role,
                role_policy_statements=[
                    iam.PolicyStatement(
                        actions=["sts:AssumeRole"],
                        resources=[smoke_test_role_arn],
                    )
                ],
                timeout=SMOKE_TEST_TIMEOUT,
            )
            pre: list[pipelines.Step] = []
            if environment.name in config.approval_before:
                approval = pipelines.ManualApprovalStep(
                    f"Approve-{environment.name}",
                    comment=(
                        f"Deploy to {environment.name}? The previous stages deployed and passed "
                        "their smoke tests."
                    ),
                )
                self.approval_steps[environment.name] = approval
                pre.append(approval)
            self.pipeline.add_stage(stage, pre=pre, post=[smoke])
            self.stages.append(stage)
            self.smoke_steps[environment.name] = smoke
        # Build now, so the generated constructs exist for the acknowledgements below.
        self.pipeline.build_pipeline()
        acknowledge_pipeline_findings(self)
        if followed:
            follow_approvals(self, followed)
        add_pipeline_nag_checks(self)
