"""Synth refuses an app whose serverless endpoints add up to more than the account's quota."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sagemaker_serverless import ServerlessConfigError
from stacks.app import build_app, endpoint_placements
from stacks.config import ENVIRONMENTS, SERVERLESS_CONCURRENCY_QUOTA, EnvironmentConfig
from stacks.pipeline_config import resolve_pipeline
from stacks.quota import (
    DOCUMENTED_QUOTA_HIGH,
    DOCUMENTED_QUOTA_LOW,
    EndpointPlacement,
    concurrency_quota_problems,
    documented_default_quota,
    quota_groups,
)
from tests.synth import PIPELINE_EXAMPLE_CONTEXT, SNAPSHOT_ENVIRON, new_app

DEV, STAGING, PROD = ENVIRONMENTS  # max_concurrency 2, 5, 20


def environments(*settings: tuple[int, str | None, str | None]) -> tuple[EnvironmentConfig, ...]:
    """Environments e1, e2, ... with (max_concurrency, account, region) each."""
    return tuple(
        dataclasses.replace(
            DEV, name=f"e{index}", max_concurrency=concurrency, account=account, region=region
        )
        for index, (concurrency, account, region) in enumerate(settings, start=1)
    )


def placement(
    stack: str, concurrency: int, account: str | None, region: str | None
) -> EndpointPlacement:
    return EndpointPlacement(
        stack_name=stack,
        origin=f"environment {stack!r}",
        max_concurrency=concurrency,
        account=account,
        region=region,
    )


def test_the_setting_defaults_to_the_documented_default_of_each_region() -> None:
    assert SERVERLESS_CONCURRENCY_QUOTA is None
    assert (DOCUMENTED_QUOTA_HIGH, DOCUMENTED_QUOTA_LOW) == (1000, 500)
    assert documented_default_quota("us-east-1") == 1000
    assert documented_default_quota("eu-west-1") == 1000
    assert documented_default_quota("eu-west-2") == 500  # listed with 500
    assert documented_default_quota("ap-southeast-5") == 500  # not listed: the lower figure
    assert documented_default_quota(None) == 500


def test_an_app_over_the_quota_is_refused_naming_its_endpoints_before_any_stack() -> None:
    app = new_app()
    with pytest.raises(ServerlessConfigError) as caught:
        build_app(app, environ=SNAPSHOT_ENVIRON, concurrency_quota=26)
    (problem,) = caught.value.problems
    assert caught.value.subject == (
        "serverless concurrency quota (stacks/config.py SERVERLESS_CONCURRENCY_QUOTA)"
    )
    assert problem.startswith(
        "account 123456789012, region us-east-1: the serverless endpoints' max_concurrency adds "
        "up to 27, 1 over the account's total serverless concurrency quota of 26 "
        "(SERVERLESS_CONCURRENCY_QUOTA in stacks/config.py): "
        "SageMakerServerless-dev (environment 'dev') max_concurrency=2, "
        "SageMakerServerless-staging (environment 'staging') max_concurrency=5, "
        "SageMakerServerless-prod (environment 'prod') max_concurrency=20. "
    )
    assert "raise the quota (Service Quotas, service 'sagemaker'" in problem
    assert app.node.children == []  # refused before any stack was built


def test_at_the_quota_the_app_builds() -> None:
    stacks = build_app(new_app(), environ=SNAPSHOT_ENVIRON, concurrency_quota=27)
    assert list(stacks) == ["dev", "staging", "prod"]


def test_the_documented_default_applies_when_the_setting_is_none() -> None:
    at_limit = environments(*[(200, "111111111111", "us-east-1")] * 5)  # 1000
    placements = endpoint_placements(at_limit, environ={}, pipeline=None)
    assert concurrency_quota_problems(placements, configured_quota=None) == []
    over = environments(*[(200, "111111111111", "eu-west-2")] * 3)  # 600 in a 500 region
    (problem,) = concurrency_quota_problems(
        endpoint_placements(over, environ={}, pipeline=None), configured_quota=None
    )
    assert problem.startswith(
        "account 111111111111, region eu-west-2: the serverless endpoints' max_concurrency adds "
        "up to 600, 100 over the account's total serverless concurrency quota of 500 (AWS's "
        "documented default for eu-west-2, https://docs.aws.amazon.com/sagemaker/latest/dg/"
        "serverless-endpoints.html (Concurrent invocations); set SERVERLESS_CONCURRENCY_QUOTA in "
        "stacks/config.py to your account's value): "
    )


def test_regions_and_accounts_are_summed_separately() -> None:
    spread = environments(
        (8, "111111111111", "eu-west-1"),
        (8, "111111111111", "us-east-1"),  # same account, another region
        (8, "222222222222", "eu-west-1"),  # same region, another account
    )
    placements = endpoint_placements(spread, environ={}, pipeline=None)
    assert [group.total for group in quota_groups(placements, configured_quota=10)] == [8, 8, 8]
    assert concurrency_quota_problems(placements, configured_quota=10) == []
    # A fourth endpoint in one of them: only that group is over, and only it is named.
    crowded = (*spread, dataclasses.replace(spread[2], name="e4", max_concurrency=3))
    with pytest.raises(ServerlessConfigError) as caught:
        build_app(new_app(), environ={}, environments=crowded, concurrency_quota=10)
    (problem,) = caught.value.problems
    assert problem.startswith("account 222222222222, region eu-west-1: ")
    assert "adds up to 11, 1 over" in problem
    assert "SageMakerServerless-e3 (environment 'e3') max_concurrency=8, " in problem
    assert "SageMakerServerless-e4 (environment 'e4') max_concurrency=3. " in problem
    assert "e1" not in problem
    assert "e2" not in problem


def test_agnostic_stacks_are_checked_together_against_the_lower_figure() -> None:
    # No account or region known at synth: they deploy wherever the deploying profile points,
    # so they are one group, with the quota of an unknown region (500).
    agnostic = environments((200, None, None), (200, None, None), (101, None, None))
    with pytest.raises(ServerlessConfigError) as caught:
        build_app(new_app(), environ={}, environments=agnostic)
    (problem,) = caught.value.problems
    assert problem.startswith(
        "unknown account/region (environment-agnostic stacks deploy to the account and region "
        "of the deploying profile, so they are counted together): the serverless endpoints' "
        "max_concurrency adds up to 501, 1 over the account's total serverless concurrency "
        "quota of 500 (AWS's documented default for an unknown region: the lower figure, "
    )
    # They are not added to a known group: a pinned endpoint has its own account's quota.
    pinned = dataclasses.replace(agnostic[0], name="e9", account="111111111111", region="eu-west-1")
    placements = endpoint_placements((*agnostic[:2], pinned), environ={}, pipeline=None)
    groups = quota_groups(placements, configured_quota=None)
    assert [(g.account, g.region, g.total, g.quota) for g in groups] == [
        (None, None, 400, 500),
        ("111111111111", "eu-west-1", 200, 1000),
    ]


def test_a_pipeline_stage_and_its_laptop_stack_in_one_account_count_once() -> None:
    context = PIPELINE_EXAMPLE_CONTEXT  # dev -> 222222222222/eu-west-1, staging, prod elsewhere
    resolved = resolve_pipeline(context=context.get, environments=ENVIRONMENTS)
    laptop = {"CDK_DEFAULT_ACCOUNT": "222222222222", "CDK_DEFAULT_REGION": "eu-west-1"}
    placements = endpoint_placements(ENVIRONMENTS, environ=laptop, pipeline=resolved)
    groups = {(g.account, g.region): g for g in quota_groups(placements, configured_quota=None)}
    dev_account = groups[("222222222222", "eu-west-1")]
    # The laptop deploys all three stacks there; the pipeline's dev stage is the same dev stack.
    assert [(e.stack_name, e.origin) for e in dev_account.endpoints] == [
        ("SageMakerServerless-dev", "environment 'dev' and pipeline stage 'dev'"),
        ("SageMakerServerless-staging", "environment 'staging'"),
        ("SageMakerServerless-prod", "environment 'prod'"),
    ]
    assert dev_account.total == 27
    assert groups[("444444444444", "eu-west-1")].total == 20


@pytest.mark.parametrize("value", [0, -5, True, 2.5, "10"])
def test_a_bad_setting_is_named(value: object) -> None:
    with pytest.raises(ServerlessConfigError) as caught:
        build_app(new_app(), environ=SNAPSHOT_ENVIRON, concurrency_quota=value)  # type: ignore[arg-type]
    assert caught.value.problems == (
        f"SERVERLESS_CONCURRENCY_QUOTA={value!r} is not allowed; use None (AWS's documented "
        "default for each region, 1000 or 500) or your account's quota, a whole number of at "
        "least 1 (make preflight ENV=<environment> prints it)",
    )


def test_a_one_endpoint_group_over_the_quota_is_named_too() -> None:
    problems = concurrency_quota_problems(
        [placement("Big", 200, "111111111111", "eu-west-1")], configured_quota=10
    )
    assert len(problems) == 1
    assert "Big (environment 'Big') max_concurrency=200" in problems[0]


def test_app_py_refuses_an_app_over_the_quota_without_a_traceback(
    project_root: Path, tmp_path: Path
) -> None:
    # app.py as the CDK CLI runs it, with the setting lowered below the sample app's 27.
    code = (
        "import runpy, stacks.app as a\n"
        "a.build_app.__kwdefaults__['concurrency_quota'] = 10\n"
        "runpy.run_path('app.py', run_name='__main__')\n"
    )
    environ = {**os.environ, "CDK_OUTDIR": str(tmp_path), **SNAPSHOT_ENVIRON}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project_root,
        capture_output=True,
        text=True,
        env=environ,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: serverless concurrency quota (stacks/config.py SERVERLESS_CONCURRENCY_QUOTA): "
        "1 configuration problem:\n  - account 123456789012, region us-east-1: the serverless "
        "endpoints' max_concurrency adds up to 27, 17 over"
    )
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing synthesized
