"""What every serverless endpoint offers, whether defined here or imported: grants and metrics."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

from constructs import Construct

NAMESPACE = "AWS/SageMaker"


class EndpointBase(Construct):
    """A SageMaker endpoint and variant, with ``grant_invoke`` and serverless ``metric_*`` helpers.

    (Not an ``abc.ABC``: jsii's metaclass forbids it; subclasses override the three properties.)
    """

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name."""
        raise NotImplementedError

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""
        raise NotImplementedError

    @property
    def variant_name(self) -> str:
        """The production variant whose metrics ``metric_*`` return."""
        raise NotImplementedError

    @property
    def _metrics_endpoint_name(self) -> str:
        # Subclasses that know the name before the endpoint exists return it, so that alarms can
        # be created first and referenced by the endpoint's rollback configuration.
        return self.endpoint_name

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call ``sagemaker:InvokeEndpoint`` on this endpoint only."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = "Sum",
        period: Duration | None = None,
        **props: Any,
    ) -> cloudwatch.Metric:
        """Any ``AWS/SageMaker`` metric of this endpoint's variant (default: Sum over 1 minute)."""
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric_name,
            dimensions_map={
                "EndpointName": self._metrics_endpoint_name,
                "VariantName": self.variant_name,
            },
            statistic=statistic,
            period=period or Duration.minutes(1),
            **props,
        )

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Requests sent to the endpoint (Sum)."""
        return self.metric("Invocations", **props)

    def metric_invocation_4xx_errors(self, **props: Any) -> cloudwatch.Metric:
        """Requests the model answered with a 4xx status (Sum)."""
        return self.metric("Invocation4XXErrors", **props)

    def metric_invocation_5xx_errors(self, **props: Any) -> cloudwatch.Metric:
        """Requests the model answered with a 5xx status (Sum)."""
        return self.metric("Invocation5XXErrors", **props)

    def metric_model_latency(self, **props: Any) -> cloudwatch.Metric:
        """Time the model took to answer, in microseconds (Average)."""
        return self.metric("ModelLatency", **{"statistic": "Average", **props})

    def metric_overhead_latency(self, **props: Any) -> cloudwatch.Metric:
        """SageMaker's added latency, including cold starts, in microseconds (Average)."""
        return self.metric("OverheadLatency", **{"statistic": "Average", **props})

    def metric_model_setup_time(self, **props: Any) -> cloudwatch.Metric:
        """Time to launch compute for a cold start, in microseconds (Average)."""
        return self.metric("ModelSetupTime", **{"statistic": "Average", **props})

    def metric_memory_utilization(self, **props: Any) -> cloudwatch.Metric:
        """Memory used by the model container, percent (Average)."""
        return self.metric("MemoryUtilization", **{"statistic": "Average", **props})

    def metric_concurrent_executions_utilization(self, **props: Any) -> cloudwatch.Metric:
        """Concurrent executions divided by max concurrency (Maximum)."""
        return self.metric(
            "ServerlessConcurrentExecutionsUtilization", **{"statistic": "Maximum", **props}
        )

    def metric_provisioned_concurrency_spillover(self, **props: Any) -> cloudwatch.Metric:
        """Requests that provisioned concurrency could not take (on-demand instead) (Sum)."""
        return self.metric("ServerlessProvisionedConcurrencySpilloverInvocations", **props)

    def metric_provisioned_concurrency_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Requests served by provisioned concurrency (Sum)."""
        return self.metric("ServerlessProvisionedConcurrencyInvocations", **props)

    def metric_provisioned_concurrency_executions(self, **props: Any) -> cloudwatch.Metric:
        """Concurrent executions on provisioned concurrency (Maximum)."""
        return self.metric(
            "ServerlessProvisionedConcurrencyExecutions", **{"statistic": "Maximum", **props}
        )

    def metric_provisioned_concurrency_utilization(self, **props: Any) -> cloudwatch.Metric:
        """Provisioned concurrency in use, 0-1: what target tracking scales on (Average)."""
        return self.metric(
            "ServerlessProvisionedConcurrencyUtilization", **{"statistic": "Average", **props}
        )


class ImportedEndpoint(EndpointBase):
    """An endpoint defined elsewhere, imported by name for grants and metrics."""

    def __init__(
        self, scope: Construct, construct_id: str, *, endpoint_name: str, variant_name: str
    ) -> None:
        super().__init__(scope, construct_id)
        self._endpoint_name = endpoint_name
        self._variant_name = variant_name
        self._endpoint_arn = Stack.of(self).format_arn(
            service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower()
        )

    @property
    def endpoint_name(self) -> str:
        return self._endpoint_name

    @property
    def endpoint_arn(self) -> str:
        return self._endpoint_arn

    @property
    def variant_name(self) -> str:
        return self._variant_name
