"""The serverless concurrency already taken in the account and region, and the environment's own
endpoint (which the deploy replaces, so its concurrency is not counted)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scripts.smoke.errors import error_code

from .errors import PreflightError, explain

OUTPUT_ENDPOINT_NAME = "EndpointName"  # the stacks' CfnOutput id (stacks/serverless_stack.py)


@dataclass(frozen=True, kw_only=True)
class EndpointUsage:
    """One serverless endpoint and the concurrency it takes from the quota."""

    name: str
    status: str
    max_concurrency: int  # the sum over its serverless variants (one, for serverless endpoints)
    endpoint_config: str
    read_from: str  # "endpoint config", or "endpoint" when its config was deleted


@dataclass(frozen=True, kw_only=True)
class OwnEndpoint:
    """The environment's deployed endpoint (None when not deployed), and how it was found."""

    name: str | None
    how: str


def own_endpoint(cloudformation: Any, stack_name: str, *, caller: str | None) -> OwnEndpoint:
    """The endpoint of ``stack_name``, from its EndpointName output.

    The stacks set no endpoint name in stacks/config.py (the construct derives one at synth, and
    emulators name endpoints their own way), so the deployed stack's output is what names it.
    """
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as error:
        if error_code(error) == "ValidationError":  # "Stack with id ... does not exist"
            return OwnEndpoint(
                name=None,
                how=f"stack {stack_name} is not deployed here: nothing is replaced, every "
                "endpoint counts",
            )
        raise explain(
            error, operation="DescribeStacks", service="CloudFormation", caller=caller
        ) from None
    stack = stacks[0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if OUTPUT_ENDPOINT_NAME not in outputs:
        return OwnEndpoint(
            name=None,
            how=f"stack {stack_name} ({stack.get('StackStatus')}) has no {OUTPUT_ENDPOINT_NAME} "
            "output: nothing is excluded",
        )
    return OwnEndpoint(
        name=str(outputs[OUTPUT_ENDPOINT_NAME]),
        how=f"output {OUTPUT_ENDPOINT_NAME} of stack {stack_name}",
    )


def _endpoint_names(sagemaker: Any, caller: str | None) -> Iterator[str]:
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {"MaxResults": 100}
        if token:
            arguments["NextToken"] = token
        try:
            page = sagemaker.list_endpoints(**arguments)
        except Exception as error:
            raise explain(
                error, operation="ListEndpoints", service="SageMaker", caller=caller
            ) from None
        for endpoint in page.get("Endpoints", []):
            yield str(endpoint["EndpointName"])
        token = page.get("NextToken")
        if not token:
            return


def _variant_concurrency(variants: list[dict[str, Any]], *keys: str) -> int | None:
    """The sum of MaxConcurrency over the serverless variants; None when none is serverless."""
    limits = []
    for variant in variants:
        values = [int(variant[key]["MaxConcurrency"]) for key in keys if key in variant]
        if values:
            limits.append(max(values))  # during an update: the larger of current and desired
    return sum(limits) if limits else None


def serverless_endpoints(
    sagemaker: Any, *, caller: str | None
) -> tuple[list[EndpointUsage], list[str]]:
    """Every serverless endpoint of the account and region, whatever its status, and notes
    about what was skipped (real-time endpoints, endpoints deleted while being read)."""
    endpoints: list[EndpointUsage] = []
    real_time: list[str] = []
    notes: list[str] = []
    for name in _endpoint_names(sagemaker, caller):
        try:
            endpoint = sagemaker.describe_endpoint(EndpointName=name)
        except Exception as error:
            if error_code(error) == "ValidationException":  # deleted since it was listed
                notes.append(f"endpoint {name} was deleted while being read: not counted")
                continue
            raise explain(
                error, operation="DescribeEndpoint", service="SageMaker", caller=caller
            ) from None
        config_name = str(endpoint.get("EndpointConfigName", ""))
        status = str(endpoint.get("EndpointStatus", "unknown"))
        try:
            config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        except Exception as error:
            if error_code(error) != "ValidationException":
                raise explain(
                    error, operation="DescribeEndpointConfig", service="SageMaker", caller=caller
                ) from None
            # An endpoint config can be deleted while its endpoint runs: read the endpoint's own.
            concurrency = _variant_concurrency(
                endpoint.get("ProductionVariants", []),
                "CurrentServerlessConfig",
                "DesiredServerlessConfig",
            )
            if concurrency is None:
                raise PreflightError(
                    f"endpoint {name}: its endpoint config {config_name} is deleted and the "
                    "endpoint does not say its serverless MaxConcurrency; the concurrency it "
                    "takes cannot be read"
                ) from None
            read_from = "endpoint (its endpoint config is deleted)"
        else:
            concurrency = _variant_concurrency(
                config.get("ProductionVariants", []), "ServerlessConfig"
            )
            read_from = "endpoint config"
        if concurrency is None:
            real_time.append(name)
            continue
        endpoints.append(
            EndpointUsage(
                name=name,
                status=status,
                max_concurrency=concurrency,
                endpoint_config=config_name,
                read_from=read_from,
            )
        )
    if real_time:
        notes.append(
            f"{len(real_time)} real-time endpoint(s) not counted (no serverless concurrency): "
            + ", ".join(real_time)
        )
    return endpoints, notes
