"""Policy statements built in one jsii call each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_iam as iam


def allow(
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: Mapping[str, Any] | None = None,
) -> iam.PolicyStatement:
    """An Allow statement. ``PolicyStatement.from_json`` is one round trip to jsii, about half
    the cost of the constructor (and its type checks), which matters with many endpoints."""
    document: dict[str, Any] = {
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": list(resources),
    }
    if conditions:
        document["Condition"] = dict(conditions)
    return iam.PolicyStatement.from_json(document)
