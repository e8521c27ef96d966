"""The checks against SageMaker: find the endpoint, wait until InService, invoke it."""

from __future__ import annotations

from typing import Any

from scripts._progress import Heartbeat, sleep_in_slices

from . import drift, expected
from .errors import CheckFailedError, UsageError, error_code, error_message
from .features import (
    check_payload,
    count_from_options,
    count_from_outputs,
    resolve_feature_count,
)
from .invoke import Clock, Progress, Sleep, invoke_with_retries
from .load import check_concurrency, run_burst, sagemaker_invoker
from .options import Options
from .payload import expected_prediction_count, read_payload
from .region import ResolvedRegion
from .report import Report, finish_load, record_answer

OUTPUT_ENDPOINT_NAME = "EndpointName"  # the stacks' CfnOutput id (stacks/serverless_stack.py)
OUTPUT_MODEL_PACKAGE = "ModelPackageVersionArn"  # when the stack deploys a registry version
WAITING_STATUSES = {"Creating", "Updating", "SystemUpdating", "RollingBack"}


def describe_stack(cloudformation: Any, stack: str) -> dict[str, Any]:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as error:
        if error_code(error) == "ValidationError":
            raise UsageError(f"stack {stack!r} was not found: {error_message(error)}") from None
        raise
    description: dict[str, Any] = stacks[0]
    return description


def stack_outputs(description: dict[str, Any]) -> dict[str, str]:
    return {str(o["OutputKey"]): str(o["OutputValue"]) for o in description.get("Outputs", [])}


def endpoint_name_output(outputs: dict[str, str], stack: str) -> str:
    if OUTPUT_ENDPOINT_NAME not in outputs:
        raise UsageError(
            f"stack {stack!r} has no {OUTPUT_ENDPOINT_NAME} output "
            f"(outputs: {', '.join(sorted(outputs)) or 'none'})"
        )
    return outputs[OUTPUT_ENDPOINT_NAME]


def describe_endpoint(sagemaker: Any, endpoint_name: str) -> dict[str, Any]:
    """DescribeEndpoint; a missing endpoint fails the check (exit 1): after a deploy, an
    endpoint that is not there is the deploy's failure, not a usage error."""
    try:
        description: dict[str, Any] = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except Exception as error:
        if error_code(error) == "ValidationException":
            raise CheckFailedError(
                f"endpoint {endpoint_name!r} was not found: {error_message(error)}"
            ) from None
        raise
    return description


def check_configuration(
    options: Options,
    *,
    session: Any,
    region: ResolvedRegion,
    sagemaker: Any,
    endpoint_name: str,
    stack: dict[str, Any] | None,
) -> tuple[drift.ConfigCheck | None, str | None]:
    """The live-configuration check (scripts/smoke/drift.py), or why it did not run."""
    if not options.config_check:
        return None, "not checked (--no-config-check)"
    if options.stack:
        assert stack is not None
        wanted = expected.from_stack(
            session.client("cloudformation", region_name=region.region),
            sagemaker,
            stack=options.stack,
            endpoint_name=endpoint_name,
            stack_status=str(stack.get("StackStatus") or "") or None,
        )
    elif options.template is not None:
        wanted = expected.from_template_file(options.template, endpoint_name=endpoint_name)
    else:
        return None, (
            "not checked: --endpoint-name alone says nothing of what should run; pass --stack, "
            "or --template cdk.out/<Stack>.template.json"
        )
    return drift.compare(wanted, drift.read_live(sagemaker, endpoint_name)), None


def wait_in_service(
    sagemaker: Any,
    endpoint_name: str,
    *,
    timeout: float,
    poll_interval: float,
    sleep: Sleep,
    clock: Clock,
    progress: Progress,
) -> str:
    started = clock()
    last_status = None
    while True:
        description = describe_endpoint(sagemaker, endpoint_name)
        status = str(description["EndpointStatus"])
        elapsed = clock() - started
        if status != last_status or status in WAITING_STATUSES:
            progress(f"[{elapsed:6.0f}s] endpoint {endpoint_name}: {status}")
        last_status = status
        if status == "InService":
            return status
        if status not in WAITING_STATUSES:
            reason = description.get("FailureReason") or "no FailureReason given"
            raise CheckFailedError(f"endpoint {endpoint_name} is {status}: {reason}")
        if elapsed + poll_interval > timeout:
            raise CheckFailedError(
                f"endpoint {endpoint_name} is still {status} after {elapsed:.0f}s "
                f"(--timeout {timeout:.0f})"
            )

        def still(remaining: float, status: str = status) -> None:
            progress(
                f"[{clock() - started:6.0f}s] endpoint {endpoint_name}: still {status}, "
                f"next check in {remaining:.0f}s"
            )

        # Polls are --poll-interval apart (15 s): between them, a line every few seconds.
        sleep_in_slices(poll_interval, sleep=sleep, tick=still)


def read_max_concurrency(sagemaker: Any, endpoint_name: str) -> int | None:
    """The endpoint's MaxConcurrency (ServerlessConfig of its endpoint config), None if none."""
    endpoint = describe_endpoint(sagemaker, endpoint_name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    limits = [
        int(variant["ServerlessConfig"]["MaxConcurrency"])
        for variant in config.get("ProductionVariants", [])
        if "ServerlessConfig" in variant
    ]
    # Serverless endpoints have one variant; were there several, any one could take the burst.
    return min(limits) if limits else None


def run(
    options: Options,
    *,
    report: Report,
    session: Any,
    region: ResolvedRegion,
    sleep: Sleep,
    clock: Clock,
    progress: Progress,
) -> Report:
    """The run against SageMaker, filling ``report`` as it goes (so that a failure part-way
    still reports what was found)."""
    from botocore.config import Config

    if session.get_credentials() is None:
        raise UsageError("no AWS credentials found: configure a profile or pass --profile")
    payload = read_payload(options.payload_file)
    # The options' count first: a --model that cannot be read fails before any AWS call.
    given = count_from_options(feature_count=options.feature_count, model=options.model)
    concurrency = min(options.concurrency or 1, options.requests or 1)
    # We own the retry policy (backoff with progress; none in load mode: botocore must not retry
    # either); the invocation limit is 60 s. One pooled connection per load thread.
    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        read_timeout=70,
        max_pool_connections=max(10, concurrency),
    )
    deployed = None
    stack = None
    if options.stack:
        stack = describe_stack(
            session.client("cloudformation", region_name=region.region), options.stack
        )
        outputs = stack_outputs(stack)
        endpoint_name = endpoint_name_output(outputs, options.stack)
        deployed, note = count_from_outputs(outputs, options.stack)
        if note:
            progress(note)
        report.model_package = outputs.get(OUTPUT_MODEL_PACKAGE)
    else:
        assert options.endpoint_name is not None
        endpoint_name = options.endpoint_name
    report.endpoint_name, report.region = endpoint_name, region.region
    report.region_source = region.source
    features = resolve_feature_count(option=given, deployed=deployed, stack=options.stack)
    report.feature_count = features.count if features else None
    # Before waiting for the endpoint: a payload that does not fit is never sent.
    report.feature_check = check_payload(payload, options.content_type, features)
    sagemaker = session.client("sagemaker", region_name=region.region)
    max_concurrency = None
    if options.requests:  # refuse an over-limit burst before waiting for the endpoint
        max_concurrency = read_max_concurrency(sagemaker, endpoint_name)
        note = check_concurrency(
            concurrency,
            max_concurrency,
            allow_over=options.allow_over_max_concurrency,
            endpoint_name=endpoint_name,
        )
        if note:
            progress(note)
    report.status = wait_in_service(
        sagemaker,
        endpoint_name,
        timeout=options.timeout,
        poll_interval=options.poll_interval,
        sleep=sleep,
        clock=clock,
        progress=progress,
    )
    # Once InService, before invoking: a failed invocation then still reports the drift rows.
    report.config_check, report.config_check_note = check_configuration(
        options,
        session=session,
        region=region,
        sagemaker=sagemaker,
        endpoint_name=endpoint_name,
        stack=stack,
    )
    runtime = session.client("sagemaker-runtime", region_name=region.region, config=config)
    expected = expected_prediction_count(payload, options.content_type)
    if options.requests:
        invoke = sagemaker_invoker(
            runtime,
            endpoint_name=endpoint_name,
            body=payload,
            content_type=options.content_type,
            accept=options.accept,
            expected=expected,
        )

        # Real seconds, from the heartbeat's thread (the injected clock stays on this one).
        def in_flight(seconds: float) -> None:
            progress(f"[{seconds:6.0f}s] {options.requests} requests in flight")

        with Heartbeat(in_flight):
            results, wall_seconds = run_burst(
                invoke, requests=options.requests, concurrency=concurrency, clock=clock
            )
        return finish_load(
            report,
            results,
            wall_seconds=wall_seconds,
            concurrency=concurrency,
            max_concurrency=max_concurrency,
        )
    for _call in range(1 + max(0, options.warm_invocations)):
        answer, seconds, attempts = invoke_with_retries(
            runtime,
            endpoint_name=endpoint_name,
            body=payload,
            content_type=options.content_type,
            accept=options.accept,
            max_attempts=max(1, options.max_attempts),
            sleep=sleep,
            clock=clock,
            progress=progress,
        )
        record_answer(report, answer, seconds=seconds, attempts=attempts, expected=expected)
    report.ok = True
    return report
