"""How an endpoint moves to a new endpoint config: deployment guardrails.

SageMaker updates serverless endpoints blue/green: it starts the new ("green") capacity, shifts
traffic, watches the rollback alarms during the baking period, then retires the old ("blue")
capacity. Rolling deployments are not supported on serverless endpoints; :meth:`Deployment.rolling`
exists so that asking for one fails at synth with the reason, instead of minutes into a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import Duration

__all__ = ["Deployment", "TrafficShift"]

# DeploymentConfig limits (SageMaker API reference: BlueGreenUpdatePolicy, TrafficRoutingConfig).
MAX_WAIT_SECONDS = 3600
MIN_EXECUTION_TIMEOUT_SECONDS = 600
MAX_EXECUTION_TIMEOUT_SECONDS = 28800


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """How traffic moves to the new capacity. Create one with a factory."""

    kind: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"]
    wait: Duration
    percent: int | None = None

    @staticmethod
    def all_at_once(*, baking_period: Duration | None = None) -> TrafficShift:
        """All traffic at once, then watch the alarms for ``baking_period``. Default: 5 minutes."""
        return TrafficShift(kind="ALL_AT_ONCE", wait=baking_period or Duration.minutes(5))

    @staticmethod
    def canary(*, percent: int, baking_period: Duration | None = None) -> TrafficShift:
        """``percent`` of capacity first, bake, then the rest. Default bake: 5 minutes."""
        return TrafficShift(
            kind="CANARY", wait=baking_period or Duration.minutes(5), percent=percent
        )

    @staticmethod
    def linear(*, percent: int, interval: Duration | None = None) -> TrafficShift:
        """Steps of ``percent`` of capacity, ``interval`` apart. Default interval: 5 minutes."""
        return TrafficShift(kind="LINEAR", wait=interval or Duration.minutes(5), percent=percent)


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """A deployment policy for endpoint updates. Create one with a factory."""

    kind: Literal["BLUE_GREEN", "ROLLING"]
    traffic: TrafficShift | None = None
    termination_wait: Duration | None = None
    maximum_execution_timeout: Duration | None = None

    @staticmethod
    def blue_green(
        *,
        traffic: TrafficShift | None = None,
        termination_wait: Duration | None = None,
        maximum_execution_timeout: Duration | None = None,
    ) -> Deployment:
        """Blue/green with auto-rollback on the endpoint's rollback alarms.

        :param traffic: how traffic shifts. Default: ``TrafficShift.all_at_once()`` with a
            5-minute baking period.
        :param termination_wait: how long the old capacity is kept after the shift (0-3600 s).
            Default: 0.
        :param maximum_execution_timeout: the longest a deployment may take (600-28800 s).
            Default: SageMaker's.
        """
        return Deployment(
            kind="BLUE_GREEN",
            traffic=traffic or TrafficShift.all_at_once(),
            termination_wait=termination_wait,
            maximum_execution_timeout=maximum_execution_timeout,
        )

    @staticmethod
    def rolling() -> Deployment:
        """Not supported on serverless endpoints: the endpoint rejects it with the reason."""
        return Deployment(kind="ROLLING")

    def problems(self) -> list[str]:
        """Every invalid setting (empty when valid)."""
        if self.kind == "ROLLING":
            return [
                "deployment=Deployment.rolling() is not supported: SageMaker Serverless "
                "Inference endpoints cannot use rolling deployments; use "
                "Deployment.blue_green() (canary or linear traffic shifting is available)"
            ]
        problems: list[str] = []
        traffic = self.traffic
        if traffic is not None:
            wait = _seconds(traffic.wait)
            if wait is not None and not 0 <= wait <= MAX_WAIT_SECONDS:
                problems.append(
                    f"deployment traffic wait={wait}s is not allowed; use 0-{MAX_WAIT_SECONDS}s"
                )
            if traffic.kind != "ALL_AT_ONCE" and (
                not isinstance(traffic.percent, int) or not 1 <= traffic.percent <= 100
            ):
                problems.append(
                    f"deployment {traffic.kind.lower()} percent={traffic.percent!r} is not "
                    "allowed; use a whole number from 1 to 100"
                )
        termination = _seconds(self.termination_wait)
        if termination is not None and not 0 <= termination <= MAX_WAIT_SECONDS:
            problems.append(
                f"deployment termination_wait={termination}s is not allowed; "
                f"use 0-{MAX_WAIT_SECONDS}s"
            )
        timeout = _seconds(self.maximum_execution_timeout)
        if timeout is not None and not (
            MIN_EXECUTION_TIMEOUT_SECONDS <= timeout <= MAX_EXECUTION_TIMEOUT_SECONDS
        ):
            problems.append(
                f"deployment maximum_execution_timeout={timeout}s is not allowed; use "
                f"{MIN_EXECUTION_TIMEOUT_SECONDS}-{MAX_EXECUTION_TIMEOUT_SECONDS}s"
            )
        return problems


def _seconds(duration: Duration | None) -> int | None:
    if duration is None:
        return None
    return int(duration.to_seconds())
