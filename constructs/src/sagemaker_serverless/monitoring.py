"""Alarms and a dashboard for one serverless endpoint.

The defaults page someone for what hurts callers of a serverless endpoint: server errors, cold
starts that take too long (model download + container start have a 3-minute budget), and overhead
latency (mostly cold starts and throttling). Serverless endpoints are often idle, so missing data
never alarms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns

from constructs import Construct

if TYPE_CHECKING:
    from ._base import EndpointBase

__all__ = ["EndpointAlarms"]

MICROSECONDS_PER_MILLISECOND = 1000


@dataclass(frozen=True, kw_only=True)
class EndpointAlarms:
    """Which alarms to create, their thresholds, and where they notify.

    :param topic: an SNS topic for alarm and OK notifications. Default: none (alarms only show in
        the console and still drive deployment rollback).
    :param invocation_5xx_errors: alarm when 5XX errors in one period reach this count.
        Default: 1.
    :param model_setup_time: alarm when the slowest cold start in a period exceeds this.
        Default: 60 seconds (SageMaker fails a start-up after 3 minutes).
    :param overhead_latency: alarm when average overhead latency exceeds this for
        ``overhead_latency_periods`` periods in a row. Default: 1 second.
    :param overhead_latency_periods: consecutive periods for the overhead alarm. Default: 3.
    :param period: the evaluation period of every alarm. Default: 5 minutes.
    :param rollback_on_5xx: use the 5XX alarm to roll back endpoint updates (blue/green
        auto-rollback). Default: True.
    :param provisioned_concurrency_spillover: with provisioned concurrency, alarm when this many
        requests per period spill over to on-demand (cold-start prone) capacity for
        ``provisioned_concurrency_spillover_periods`` periods in a row. Default: 1.
    :param provisioned_concurrency_spillover_periods: consecutive periods for the spillover
        alarm: sustained spillover means provisioned concurrency is too low. Default: 3.
    """

    topic: sns.ITopic | None = None
    invocation_5xx_errors: int = 1
    model_setup_time: Duration = field(default_factory=lambda: Duration.seconds(60))
    overhead_latency: Duration = field(default_factory=lambda: Duration.seconds(1))
    overhead_latency_periods: int = 3
    period: Duration = field(default_factory=lambda: Duration.minutes(5))
    rollback_on_5xx: bool = True
    provisioned_concurrency_spillover: int = 1
    provisioned_concurrency_spillover_periods: int = 3

    def problems(self) -> list[str]:
        """Every invalid threshold (empty when valid)."""
        problems: list[str] = []
        if not isinstance(self.invocation_5xx_errors, int) or self.invocation_5xx_errors < 1:
            problems.append(
                f"alarms invocation_5xx_errors={self.invocation_5xx_errors!r} is not allowed; "
                "use a whole number of at least 1"
            )
        for name in ("overhead_latency_periods", "provisioned_concurrency_spillover_periods"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 10:
                problems.append(f"alarms {name}={value!r} is not allowed; use 1-10")
        spillover = self.provisioned_concurrency_spillover
        if not isinstance(spillover, int) or spillover < 1:
            problems.append(
                f"alarms provisioned_concurrency_spillover={spillover!r} is not allowed; use a "
                "whole number of at least 1"
            )
        period = int(self.period.to_seconds())
        if period < 60 or period % 60:
            problems.append(
                f"alarms period={period}s is not allowed; use a whole number of minutes "
                "(SageMaker publishes metrics every minute)"
            )
        for name, duration in (
            ("model_setup_time", self.model_setup_time),
            ("overhead_latency", self.overhead_latency),
        ):
            if duration.to_milliseconds() <= 0:
                problems.append(f"alarms {name} must be longer than 0 ms")
        return problems


def create_alarms(
    scope: Construct, endpoint: EndpointBase, config: EndpointAlarms, *, provisioned: bool
) -> dict[str, cloudwatch.Alarm]:
    """The alarms, keyed by a short name, with the topic as alarm and OK action (three, and a
    spillover alarm with provisioned concurrency)."""
    period = config.period
    alarms = {
        "Invocation5XXErrors": cloudwatch.Alarm(
            scope,
            "Invocation5XXErrorsAlarm",
            alarm_description=(
                "The model answered with server errors (5XX). Check the endpoint's CloudWatch "
                "logs; during an update this alarm rolls the endpoint back."
            ),
            metric=endpoint.metric_invocation_5xx_errors(period=period),
            threshold=config.invocation_5xx_errors,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ),
        "ModelSetupTime": cloudwatch.Alarm(
            scope,
            "ModelSetupTimeAlarm",
            alarm_description=(
                "A cold start took longer than expected (model download and container start; "
                "SageMaker gives up after 3 minutes). Consider a smaller artifact, more memory "
                "or provisioned concurrency."
            ),
            metric=endpoint.metric_model_setup_time(period=period, statistic="Maximum"),
            threshold=config.model_setup_time.to_milliseconds() * MICROSECONDS_PER_MILLISECOND,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ),
        "OverheadLatency": cloudwatch.Alarm(
            scope,
            "OverheadLatencyAlarm",
            alarm_description=(
                "SageMaker's overhead latency (cold starts, queueing) stayed high. Consider "
                "provisioned concurrency or a higher max concurrency."
            ),
            metric=endpoint.metric_overhead_latency(period=period),
            threshold=config.overhead_latency.to_milliseconds() * MICROSECONDS_PER_MILLISECOND,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=config.overhead_latency_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ),
    }
    if provisioned:
        alarms["ProvisionedConcurrencySpillover"] = cloudwatch.Alarm(
            scope,
            "ProvisionedConcurrencySpilloverAlarm",
            alarm_description=(
                "Requests kept spilling over from provisioned concurrency to on-demand capacity "
                "(cold starts possible). Raise provisioned concurrency or its scaling range."
            ),
            metric=endpoint.metric_provisioned_concurrency_spillover(
                period=period, statistic="Sum"
            ),
            threshold=config.provisioned_concurrency_spillover,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=config.provisioned_concurrency_spillover_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
    if config.topic is not None:
        action = cloudwatch_actions.SnsAction(config.topic)
        for alarm in alarms.values():
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
    return alarms


def create_dashboard(
    scope: Construct,
    endpoint: EndpointBase,
    *,
    alarms: dict[str, cloudwatch.Alarm],
    provisioned: bool,
) -> cloudwatch.Dashboard:
    """One dashboard: traffic and errors, latency, cold starts, memory and concurrency."""
    dashboard = cloudwatch.Dashboard(scope, "Dashboard")
    width = 8
    row: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="Invocations and errors",
            left=[
                endpoint.metric_invocations(),
                endpoint.metric_invocation_4xx_errors(),
                endpoint.metric_invocation_5xx_errors(),
            ],
            width=width,
        ),
        cloudwatch.GraphWidget(
            title="Latency (microseconds)",
            left=[
                endpoint.metric_model_latency(statistic="p50"),
                endpoint.metric_model_latency(statistic="p99"),
                endpoint.metric_overhead_latency(statistic="p99"),
            ],
            width=width,
        ),
        cloudwatch.GraphWidget(
            title="Cold starts: model setup time (microseconds)",
            left=[
                endpoint.metric_model_setup_time(statistic="Maximum"),
                endpoint.metric_model_setup_time(statistic="SampleCount", label="Cold starts"),
            ],
            width=width,
        ),
    ]
    second_row: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="Memory utilization (%)",
            left=[endpoint.metric_memory_utilization(statistic="Maximum")],
            width=width,
        ),
        cloudwatch.GraphWidget(
            title="Concurrent executions / max concurrency",
            left=[endpoint.metric_concurrent_executions_utilization()],
            width=width,
        ),
    ]
    if provisioned:
        second_row.append(
            cloudwatch.GraphWidget(
                title="Provisioned concurrency: in use, and spillover to on-demand",
                left=[
                    endpoint.metric_provisioned_concurrency_executions(),
                    endpoint.metric_provisioned_concurrency_utilization(),
                ],
                right=[
                    endpoint.metric_provisioned_concurrency_invocations(statistic="Sum"),
                    endpoint.metric_provisioned_concurrency_spillover(statistic="Sum"),
                ],
                width=width,
            )
        )
    if alarms:
        second_row.append(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=list(alarms.values()), width=width, height=6
            )
        )
    dashboard.add_widgets(*row)
    dashboard.add_widgets(*second_row)
    return dashboard
