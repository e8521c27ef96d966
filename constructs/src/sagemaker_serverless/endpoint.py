"""The ServerlessEndpoint construct: Model + EndpointConfig (serverless) + Endpoint + role."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    TimeZone,
    Validations,
)
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from ._base import EndpointBase, ImportedEndpoint
from ._errors import ServerlessConfigError
from ._iam import allow
from ._limits import (
    environment_problems,
    estimate_model_memory,
    is_token,
    serverless_config_problems,
)
from ._source import bind_source, source_problems
from .artifact import ArtifactInspection, inspect_model_artifact
from .deployment import Deployment, TrafficShift
from .image import ContainerImage
from .model_data import ModelData
from .model_package import ModelPackage
from .monitoring import EndpointAlarms, create_alarms, create_dashboard
from .scaling import SCALABLE_DIMENSION, SERVICE_LINKED_ROLE, ProvisionedConcurrencyScaling

__all__ = ["ServerlessEndpoint"]

ENDPOINT_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# The namespace SageMaker's execution role publishes endpoint metrics to.
METRICS_NAMESPACE_FOR_ROLE = "/aws/sagemaker/Endpoints"
# The XGBoost image averages every model file's predictions unless this is set to other than
# "true" (serve_utils.is_ensemble_enabled).
ENSEMBLE_VARIABLE = "SAGEMAKER_INFERENCE_ENSEMBLE"


class ServerlessEndpoint(EndpointBase):
    """A SageMaker Serverless Inference endpoint serving one model.

    Emits one ``AWS::SageMaker::Model``, one ``AWS::SageMaker::EndpointConfig`` whose single
    production variant has a ``ServerlessConfig`` (no instance type or count), one
    ``AWS::SageMaker::Endpoint``, and an execution role whose one customer-managed policy can read
    exactly the model artifact, pull exactly the image's repository, and write to exactly the
    endpoint's log group. By default the endpoint config is encrypted with a new KMS key.

    The Model and EndpointConfig never get fixed names: SageMaker endpoint configs are immutable,
    so every change replaces them, and CloudFormation cannot create a replacement under a name that
    is still in use. The Endpoint is updated in place (blue/green) to point at the new config.

    :param scope: the parent construct.
    :param construct_id: the construct's id.
    :param image: the serving image, e.g.
        ``ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")``.
    :param model_data: the artifact, e.g. ``ModelData.from_asset("model/model.tar.gz")``.
    :param model_package: instead of ``image`` and ``model_data``: a Model Registry version
        (``ModelPackage.from_description(...)``); the model references it and SageMaker takes
        the image and artifact from it. Give either this or both of the others.
    :param memory_size_in_mb: memory per concurrent invocation, one of 1024, 2048, 3072, 4096,
        5120, 6144. Default: 2048.
    :param max_concurrency: the most invocations served at once, 1-200. Default: 5.
    :param provisioned_concurrency: invocations kept warm (1-200, at most ``max_concurrency``);
        billed while idle. Default: None (no provisioned concurrency; cold starts possible).
    :param provisioned_concurrency_scaling: scale provisioned concurrency with demand (target
        tracking) and on schedules, between a minimum and a maximum; ``provisioned_concurrency``
        is where the variant starts. Default: None (fixed at ``provisioned_concurrency``).
    :param environment: environment variables for the container (string values; at most 100,
        keys ``[a-zA-Z_][a-zA-Z0-9_]*``, keys and values at most 1024 characters). Default: none.
    :param endpoint_name: the endpoint's name. Default: a stable name derived from the stack name
        and the construct path (at most 63 characters), so that logs permissions can be scoped to
        the endpoint's own log group and scripts can find it.
    :param variant_name: the production variant's name. Default: ``"AllTraffic"``.
    :param role: an existing execution role. The construct then adds nothing to it: the caller
        grants what ``execution_policy_statements`` lists. Default: a new role as described above.
    :param encryption_key: the KMS key that encrypts the endpoint config's storage. Default: a new
        key with yearly rotation (when ``encrypt`` is True).
    :param encrypt: set False to use no customer-managed key at all (SageMaker then uses an
        AWS-owned key). Default: True.
    :param alarms: create alarms (5XX errors, model setup time, overhead latency), optionally
        notifying an SNS topic. Default: None (no alarms).
    :param dashboard: create a CloudWatch dashboard for the endpoint. Default: False.
    :param deployment: how updates roll out. Default: ``Deployment.blue_green()`` with
        auto-rollback on the 5XX alarm when ``alarms`` is set, else SageMaker's default (blue/green,
        all at once, no rollback alarms). ``Deployment.rolling()`` is rejected (unsupported).
    :param removal_policy: what happens to the model, endpoint config, endpoint, key and alarms
        when they leave the stack. Default: ``RemovalPolicy.DESTROY`` (an endpoint left behind
        keeps costing money; RETAIN also keeps every replaced endpoint config).
    :param vpc: not supported on serverless endpoints; any value is rejected with the reason.
    :param network_isolation: not supported on serverless endpoints; True is rejected.
    :raises ServerlessConfigError: listing every invalid argument at once.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage | None = None,
        model_data: ModelData | None = None,
        model_package: ModelPackage | None = None,
        memory_size_in_mb: int = 2048,
        max_concurrency: int = 5,
        provisioned_concurrency: int | None = None,
        provisioned_concurrency_scaling: ProvisionedConcurrencyScaling | None = None,
        environment: Mapping[str, str] | None = None,
        endpoint_name: str | None = None,
        variant_name: str = "AllTraffic",
        role: iam.IRole | None = None,
        encryption_key: kms.IKey | None = None,
        encrypt: bool = True,
        alarms: EndpointAlarms | None = None,
        dashboard: bool = False,
        deployment: Deployment | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        vpc: object | None = None,
        network_isolation: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)

        problems = serverless_config_problems(
            memory_size_in_mb=memory_size_in_mb,
            max_concurrency=max_concurrency,
            provisioned_concurrency=provisioned_concurrency,
        )
        source_errors, artifact_warnings = self._source_findings(
            image, model_data, model_package, environment
        )
        problems += source_errors
        problems += _endpoint_name_problems(endpoint_name)
        problems += _variant_name_problems(variant_name)
        problems += environment_problems(environment)
        problems += _unsupported_problems(vpc=vpc, network_isolation=network_isolation)
        if encryption_key is not None and not encrypt:
            problems.append("encryption_key is given but encrypt=False; pass one or the other")
        if alarms is not None:
            problems += alarms.problems()
        if deployment is not None:
            problems += deployment.problems()
        if provisioned_concurrency_scaling is not None:
            problems += provisioned_concurrency_scaling.problems(
                max_concurrency=max_concurrency, provisioned_concurrency=provisioned_concurrency
            )
        if problems:
            raise ServerlessConfigError(problems, subject=f"ServerlessEndpoint {self.node.path!r}")

        name = endpoint_name or Names.unique_resource_name(
            self, max_length=63, separator="-", allowed_special_characters="-"
        )
        self._endpoint_name_literal = name
        self._variant_name = variant_name
        self.memory_size_in_mb = memory_size_in_mb
        self.max_concurrency = max_concurrency
        self.provisioned_concurrency = provisioned_concurrency

        container = bind_source(self, image, model_data, model_package, environment)
        log_group_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"/aws/sagemaker/Endpoints/{name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.execution_policy_statements: tuple[iam.PolicyStatement, ...] = container[
            1
        ] + _logs_and_metrics_statements(log_group_arn)
        """Everything the execution role needs, and no more (also when ``role`` is yours)."""

        self.execution_policy: iam.ManagedPolicy | None = None
        self.role: iam.IRole
        if role is None:
            self.role = self._create_role(name, log_group_arn)
        else:
            self.role = role

        self.encryption_key: kms.IKey | None = None
        if encrypt:
            self.encryption_key = encryption_key or kms.Key(
                self,
                "EncryptionKey",
                description=f"Encrypts the storage of SageMaker serverless endpoint {name}",
                enable_key_rotation=True,
                removal_policy=removal_policy,
            )

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=container[0],
        )
        # The role's policy is attached through the role (ManagedPolicyArns), so the Model, which
        # needs the role, also waits for the permissions to pull the image and read the artifact.

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    model_name=self.model.attr_model_name,
                    initial_variant_weight=1.0,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_size_in_mb,
                        max_concurrency=max_concurrency,
                        provisioned_concurrency=provisioned_concurrency,
                    ),
                )
            ],
        )
        self.cfn_endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )

        self.scalable_target: appscaling.ScalableTarget | None = (
            self._scale(provisioned_concurrency_scaling, name, variant_name)
            if provisioned_concurrency_scaling is not None
            else None
        )
        self.alarms: dict[str, cloudwatch.Alarm] = (
            create_alarms(self, self, alarms, provisioned=provisioned_concurrency is not None)
            if alarms is not None
            else {}
        )
        self._configure_deployment(deployment, alarms)
        self.dashboard: cloudwatch.Dashboard | None = (
            create_dashboard(
                self,
                self,
                alarms=self.alarms,
                provisioned=provisioned_concurrency is not None,
            )
            if dashboard
            else None
        )
        for resource in (self.model, self.endpoint_config, self.cfn_endpoint):
            resource.apply_removal_policy(removal_policy)
        self._warn_about_artifact(artifact_warnings, memory_size_in_mb)

    def _configure_deployment(
        self, deployment: Deployment | None, alarms: EndpointAlarms | None
    ) -> None:
        if deployment is None and alarms is not None:
            deployment = Deployment.blue_green()
        if deployment is not None:
            rollback = (
                [self.alarms["Invocation5XXErrors"]]
                if alarms is not None and alarms.rollback_on_5xx
                else []
            )
            self.cfn_endpoint.deployment_config = _deployment_config(deployment, rollback)

    def _scale(
        self, scaling: ProvisionedConcurrencyScaling, name: str, variant_name: str
    ) -> appscaling.ScalableTarget:
        # Keyed by the endpoint's and variant's names, not the endpoint config: it stays
        # registered when an update moves the endpoint to a new config (see scaling.py).
        role = iam.Role.from_role_arn(
            self,
            "AutoScalingRole",
            Stack.of(self).format_arn(
                service="iam", region="", resource="role", resource_name=SERVICE_LINKED_ROLE
            ),
            mutable=False,
        )
        target = appscaling.ScalableTarget(
            self,
            "ProvisionedConcurrencyTarget",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{name}/variant/{variant_name}",
            scalable_dimension=SCALABLE_DIMENSION,
            min_capacity=scaling.min_provisioned_concurrency,
            max_capacity=scaling.max_provisioned_concurrency,
            role=role,
        )
        target.node.add_dependency(self.cfn_endpoint)  # the variant must exist to register
        if scaling.target_utilization is not None:
            target.scale_to_track_metric(
                "ProvisionedConcurrencyUtilization",
                target_value=scaling.target_utilization,
                predefined_metric=(
                    appscaling.PredefinedMetric.SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY_UTILIZATION
                ),
                # From the endpoint's name, not the construct path: a pipeline stage deploys the
                # same policy as a laptop (the default name would include the stage's path).
                policy_name=f"{name}-provisioned-concurrency-utilization",
                scale_in_cooldown=Duration.seconds(scaling.scale_in_cooldown_s),
                scale_out_cooldown=Duration.seconds(scaling.scale_out_cooldown_s),
            )
        for action in scaling.schedules:
            target.scale_on_schedule(
                action.name,
                schedule=appscaling.Schedule.expression(action.schedule),
                min_capacity=action.min_provisioned_concurrency,
                max_capacity=action.max_provisioned_concurrency,
                time_zone=TimeZone.of(action.time_zone) if action.time_zone else None,
            )
        return target

    def _source_findings(
        self,
        image: ContainerImage | None,
        model_data: ModelData | None,
        model_package: ModelPackage | None,
        environment: Mapping[str, str] | None,
    ) -> tuple[list[str], list[str]]:
        self._artifact: ArtifactInspection | None = None
        if model_package is not None or image is None or model_data is None:
            return source_problems(image, model_data, model_package, self), []
        data_problems = model_data.problems()
        artifact_problems, artifact_warnings = self._inspect_artifact(
            model_data, image=image, environment=environment, checked=not data_problems
        )
        return image.problems(self) + data_problems + artifact_problems, artifact_warnings

    def _inspect_artifact(
        self,
        model_data: ModelData,
        *,
        image: ContainerImage,
        environment: Mapping[str, str] | None,
        checked: bool,
    ) -> tuple[list[str], list[str]]:
        # Read at synth: a broken artifact fails here, not minutes into a deploy when the
        # endpoint cannot load it. (Not when its path is already wrong: one error is enough.)
        if not checked or model_data.local_path is None:
            return [], []
        self._artifact = inspect_model_artifact(model_data.local_path)
        return _artifact_findings(
            self._artifact, builtin_xgboost=image.is_builtin_xgboost, environment=environment
        )

    def _create_role(self, name: str, log_group_arn: str) -> iam.Role:
        # A customer-managed policy instead of the role's default inline policy: compliance packs
        # (HIPAA, NIST 800-53, PCI DSS) reject inline policies, and one named document is easier
        # to review and to attach to a caller's own role if they bring one later.
        self.execution_policy = iam.ManagedPolicy(
            self,
            "ExecutionPolicy",
            description=f"What SageMaker serverless endpoint {name} needs, and no more",
            statements=list(self.execution_policy_statements),
        )
        role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"SageMaker execution role of serverless endpoint {name}",
            managed_policies=[self.execution_policy],
        )
        self._acknowledge_wildcards(self.execution_policy, _log_streams_arn(log_group_arn))
        return role

    def _acknowledge_wildcards(self, policy: iam.ManagedPolicy, log_streams_arn: str) -> None:
        # The two wildcards this construct writes itself, each acknowledged as exactly the
        # finding cdk-nag reports, with its reason. Any other wildcard (e.g. from a custom image
        # or model source) stays a finding for its author to justify.
        acknowledgements = {
            "*": (
                "Only ecr:GetAuthorizationToken (registry login) and cloudwatch:PutMetricData "
                "use Resource '*': neither action supports resource-level permissions; "
                "PutMetricData is limited by a cloudwatch:namespace condition."
            ),
            _flatten_reference(Stack.of(self).resolve(log_streams_arn)): (
                "SageMaker names the endpoint's log streams at run time "
                "(<variant>/<instance id>); the wildcard covers streams of this endpoint's own "
                "log group only."
            ),
        }
        Validations.of(policy).acknowledge(
            *(
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{flat}]", reason=why)
                for flat, why in acknowledgements.items()
            )
        )

    def _warn_about_artifact(self, warnings: list[str], memory_size_in_mb: int) -> None:
        for warning in warnings:
            Annotations.of(self).add_warning_v2("sagemaker-serverless:model-artifact", warning)
        artifact = self._artifact
        # No estimate when the archive cannot be read to its end: no size rather than a wrong one.
        estimate = estimate_model_memory(artifact) if artifact is not None else None
        if artifact is None or estimate is None or is_token(memory_size_in_mb):
            return
        if estimate.peak_bytes > memory_size_in_mb * 2**20:
            kind = "JSON" if estimate.json_format else "binary"
            Annotations.of(self).add_warning_v2(
                "sagemaker-serverless:model-too-large",
                f"The model artifact {artifact.path.name} is "
                f"{estimate.uncompressed_bytes / 2**20:.0f} MiB "
                f"uncompressed ({kind} model); loading it needs about "
                f"{estimate.peak_bytes / 2**20:.0f} MiB, more than "
                f"memory_size_in_mb={memory_size_in_mb}. Choose more memory; "
                "scripts/right_size.py (make size) measures what the model needs.",
            )

    @staticmethod
    def from_endpoint_name(
        scope: Construct, construct_id: str, endpoint_name: str, *, variant_name: str = "AllTraffic"
    ) -> EndpointBase:
        """Import an existing endpoint by name, for ``grant_invoke`` and ``metric_*``."""
        problems = _endpoint_name_problems(endpoint_name)
        if problems:
            raise ServerlessConfigError(problems, subject="ServerlessEndpoint.from_endpoint_name")
        return ImportedEndpoint(
            scope, construct_id, endpoint_name=endpoint_name, variant_name=variant_name
        )

    @property
    def variant_name(self) -> str:
        """The production variant's name."""
        return self._variant_name

    @property
    def model_feature_count(self) -> int | None:
        """The number of features the model reads (the values of one ``text/csv`` row), read
        from a local artifact at synth; None when unknown (an S3 artifact, a pickled model, a
        format synth does not read, or model files that disagree)."""
        return self._artifact.num_feature if self._artifact is not None else None

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name (a token that also carries the dependency on the endpoint)."""
        return self.cfn_endpoint.attr_endpoint_name

    @property
    def _metrics_endpoint_name(self) -> str:
        # The literal name: metrics and alarms must not depend on the endpoint, whose rollback
        # configuration depends on the alarms.
        return self._endpoint_name_literal

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN (``Ref`` of ``AWS::SageMaker::Endpoint``)."""
        return self.cfn_endpoint.ref


def _artifact_findings(
    artifact: ArtifactInspection,
    *,
    builtin_xgboost: bool,
    environment: Mapping[str, str] | None,
) -> tuple[list[str], list[str]]:
    """(errors, warnings) about a local artifact, for the image that serves it."""
    if not builtin_xgboost:
        # Another image loads the model its own way: only the archive must be right. Files that
        # look like XGBoost models but would not load are still worth a warning.
        warnings = list(artifact.archive_warnings)
        warnings += [
            info.problem
            for info in artifact.model_files
            if info.problem and info.format in ("json", "ubjson", "legacy-binary")
        ]
        if artifact.feature_count_conflict:
            warnings.append(artifact.feature_count_conflict)
        return list(artifact.archive_errors), warnings
    warnings = list(artifact.warnings)
    ensemble = (environment or {}).get(ENSEMBLE_VARIABLE, "true")
    count = len(artifact.model_files)
    if count > 1 and isinstance(ensemble, str) and not is_token(ensemble) and ensemble != "true":
        warnings.append(
            f"environment {ENSEMBLE_VARIABLE}={ensemble!r}: the XGBoost image then loads only "
            f"one of the {count} model files in {str(artifact.path)!r}, the first in directory "
            "order, which is not defined: keep one model file in the archive"
        )
    return list(artifact.errors), warnings


def _log_streams_arn(log_group_arn: str) -> str:
    return f"{log_group_arn}:log-stream:*"


def _logs_and_metrics_statements(log_group_arn: str) -> tuple[iam.PolicyStatement, ...]:
    return (
        allow(["logs:CreateLogGroup", "logs:DescribeLogStreams"], [log_group_arn]),
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [_log_streams_arn(log_group_arn)]),
        # PutMetricData has no resource-level permissions; the namespace condition is the scope.
        allow(
            ["cloudwatch:PutMetricData"],
            ["*"],
            {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE_FOR_ROLE}},
        ),
    )


def _deployment_config(
    deployment: Deployment, rollback_alarms: list[cloudwatch.Alarm]
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    traffic = deployment.traffic or TrafficShift.all_at_once()
    capacity = (
        sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=traffic.percent)
        if traffic.percent is not None
        else None
    )
    routing = sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
        type=traffic.kind,
        wait_interval_in_seconds=int(traffic.wait.to_seconds()),
        canary_size=capacity if traffic.kind == "CANARY" else None,
        linear_step_size=capacity if traffic.kind == "LINEAR" else None,
    )
    timeout = deployment.maximum_execution_timeout
    termination = deployment.termination_wait
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(
        blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=routing,
            termination_wait_in_seconds=int(termination.to_seconds()) if termination else None,
            maximum_execution_timeout_in_seconds=int(timeout.to_seconds()) if timeout else None,
        ),
        auto_rollback_configuration=(
            sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[
                    sagemaker.CfnEndpoint.AlarmProperty(alarm_name=alarm.alarm_name)
                    for alarm in rollback_alarms
                ]
            )
            if rollback_alarms
            else None
        ),
    )


def _flatten_reference(value: Any) -> str:  # noqa: PLR0911 (one return per intrinsic)
    """A resolved IAM resource as cdk-nag prints it in finding ids (``<AWS::Region>`` etc.)."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(_flatten_reference(item) for item in items)
        if "Fn::Sub" in value:
            return _flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{_flatten_reference(resource)}.{_flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return _flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{_flatten_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def _unsupported_problems(*, vpc: object | None, network_isolation: bool) -> list[str]:
    problems = []
    if vpc is not None:
        problems.append(
            "vpc is not supported: SageMaker Serverless Inference endpoints cannot run in a VPC; "
            "use a real-time endpoint if the model must reach private resources"
        )
    if network_isolation:
        problems.append(
            "network_isolation=True is not supported: SageMaker Serverless Inference does not "
            "offer network isolation; use a real-time endpoint for it"
        )
    return problems


def _variant_name_problems(variant_name: Any) -> list[str]:
    if is_token(variant_name):
        return []
    if not isinstance(variant_name, str) or not ENDPOINT_NAME_PATTERN.match(variant_name):
        return [
            f"variant_name={variant_name!r} is not allowed; use 1-63 letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        ]
    return []


def _endpoint_name_problems(endpoint_name: Any) -> list[str]:
    if endpoint_name is None or is_token(endpoint_name):
        return []
    if not isinstance(endpoint_name, str) or not ENDPOINT_NAME_PATTERN.match(endpoint_name):
        return [
            f"endpoint_name={endpoint_name!r} is not allowed; use 1-63 letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        ]
    return []
