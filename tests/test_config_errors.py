"""Every mistake in the environment table and the pipeline settings, named in one round.

Types ("must be a whole number (int), got str '2048'"), misspelt keywords (named with the closest
field), missing fields, and every other rule: all in the first ServerlessConfigError, never a
TypeError or a traceback.
"""

from __future__ import annotations

import dataclasses
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from sagemaker_serverless import (
    ProvisionedConcurrencyScaling,
    ScheduledConcurrency,
    ServerlessConfigError,
    serverless_config_problems,
)
from sagemaker_serverless.fields import checked_fields
from stacks.app import build_app
from stacks.config import ENVIRONMENTS, EnvironmentConfig, SmokePayload, validate_environments
from stacks.pipeline_config import DeploymentTarget, PipelineConfig, resolve_pipeline
from tests.synth import new_app

DEV: dict[str, Any] = {"name": "dev", "memory_size_in_mb": 2048, "max_concurrency": 2}
CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/abc"
PIPELINE: dict[str, Any] = {
    "connection_arn": CONNECTION,
    "repository": "my-org/repo",
    "account": "111111111111",
    "region": "eu-west-1",
}
TARGETS = {
    name: DeploymentTarget(account=account, region="eu-west-1")
    for name, account in (("dev", "2" * 12), ("staging", "3" * 12), ("prod", "4" * 12))
}

# field=value -> the one problem it causes, verbatim.
WRONG_TYPES: dict[str, tuple[dict[str, Any], str]] = {
    "memory as text": (
        {"memory_size_in_mb": "2048"},
        "memory_size_in_mb must be a whole number (int), got str '2048'",
    ),
    "concurrency as bool": (
        {"max_concurrency": True},
        "max_concurrency must be a whole number (int), got bool True",
    ),
    "concurrency as float": (
        {"max_concurrency": 2.0},
        "max_concurrency must be a whole number (int), got float 2.0",
    ),
    "provisioned as text": (
        {"provisioned_concurrency": "1"},
        "provisioned_concurrency must be a whole number (int) or None, got str '1'",
    ),
    "name as int": ({"name": 7}, "name must be a string (str), got int 7"),
    "account as int": (
        {"account": 222222222222},
        "account must be a string (str) or None, got int 222222222222",
    ),
    "alarms as text": ({"alarms": "yes"}, "alarms must be True or False (bool), got str 'yes'"),
    "dashboard as int": ({"dashboard": 1}, "dashboard must be True or False (bool), got int 1"),
    "emails as str": (
        {"alarms": True, "alarm_emails": "ops@example.com"},
        "alarm_emails must be a tuple of str values (tuple[str, ...]), got str "
        "'ops@example.com'; for one value write ('ops@example.com',)",
    ),
    "email entry as int": (
        {"alarms": True, "alarm_emails": ("ops@example.com", 5)},
        "alarm_emails[1] must be a string (str), got int 5",
    ),
    "tag value as int": ({"tags": {"team": 5}}, "tags['team'] must be a string (str), got int 5"),
    "tags as list": (
        {"tags": ["team"]},
        "tags must be a mapping of str to str (e.g. a dict), got list ['team']",
    ),
    "artifact as str": (
        {"model_artifact": "model/model.tar.gz"},
        "model_artifact must be a path (pathlib.Path), got str 'model/model.tar.gz'; "
        "write Path('model/model.tar.gz')",
    ),
    "scaling as dict": (
        {"provisioned_concurrency": 1, "provisioned_concurrency_scaling": {"min": 1}},
        "provisioned_concurrency_scaling must be ProvisionedConcurrencyScaling(...) or None, "
        "got dict {'min': 1}",
    ),
    "smoke payload as str": (
        {"smoke_payload": "rows.csv"},
        "smoke_payload must be SmokePayload(...) or None, got str 'rows.csv'",
    ),
}


@pytest.mark.parametrize(("changes", "message"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_a_wrong_type_is_one_complete_message(changes: dict[str, Any], message: str) -> None:
    assert EnvironmentConfig(**(DEV | changes)).problems() == [message]


def test_the_construct_says_whole_number_too() -> None:
    problems = serverless_config_problems(
        memory_size_in_mb="2048", max_concurrency=False, provisioned_concurrency=1.5
    )
    assert problems == [
        "memory_size_in_mb must be a whole number (int), got str '2048'; use one of "
        "1024, 2048, 3072, 4096, 5120, 6144",
        "max_concurrency must be a whole number (int), got bool False; use a whole number "
        "from 1 to 200",
        "provisioned_concurrency must be a whole number (int), got float 1.5; use None or a "
        "whole number from 1 to 200",
    ]


def test_a_misspelt_field_is_named_with_the_closest_one() -> None:
    config = EnvironmentConfig(name="dev", memroy_size_in_mb=2048, max_concurrency=2)  # type: ignore[call-arg]
    assert config.problems() == [
        "memroy_size_in_mb is not a field of EnvironmentConfig; did you mean memory_size_in_mb?",
        "memory_size_in_mb is missing; give a whole number (int)",
    ]


def test_an_unrecognisable_field_lists_the_fields_and_positional_values_are_named() -> None:
    config = EnvironmentConfig("dev", **DEV, colour="blue")  # type: ignore[call-arg]
    problems = config.problems()
    assert problems[0] == (
        "1 value(s) given without a field name ('dev'); name each field, e.g. name=..."
    )
    assert problems[1].startswith(
        "colour is not a field of EnvironmentConfig; the fields are name, memory_size_in_mb, "
    )
    assert len(problems) == 2


def test_a_table_with_mistakes_everywhere_reports_them_all_at_once() -> None:
    table = (
        EnvironmentConfig(name="dev", memory_size_in_mb="2048", max_concurrncy=2),  # type: ignore[call-arg, arg-type]
        EnvironmentConfig(**DEV | {"name": "staging", "region": "mars", "alarms": "no"}),
        EnvironmentConfig(memory_size_in_mb=3072, max_concurrency=500),  # type: ignore[call-arg]
        EnvironmentConfig(
            **DEV | {"name": "prod", "provisioned_concurrency": 3},
            smoke_payload=SmokePayload(pth=Path("model/smoke-payload.csv")),  # type: ignore[call-arg]
        ),
    )
    with pytest.raises(ServerlessConfigError) as caught:
        validate_environments(table)
    assert caught.value.problems == (
        "environment 'dev': max_concurrncy is not a field of EnvironmentConfig; "
        "did you mean max_concurrency?",
        "environment 'dev': memory_size_in_mb must be a whole number (int), got str '2048'",
        "environment 'dev': max_concurrency is missing; give a whole number (int)",
        "environment 'staging': alarms must be True or False (bool), got str 'no'",
        "environment 'staging': region='mars' is not an AWS region name like 'eu-west-1'",
        "environment #3: name is missing; give a string (str)",
        "environment #3: max_concurrency=500 is not allowed; use a whole number from 1 to 200",
        "environment 'prod': provisioned_concurrency=3 is greater than max_concurrency=2; "
        "it must be at most max_concurrency",
        "environment 'prod': smoke_payload.pth is not a field of SmokePayload; did you mean path?",
        "environment 'prod': smoke_payload.path is missing; give a path (pathlib.Path)",
    )
    assert str(caught.value).startswith("stacks/config.py ENVIRONMENTS: 10 configuration problems")


def test_a_misspelt_table_still_imports(tmp_path: Path) -> None:
    # What stacks/config.py does at import: build the table. It must not raise there, where
    # app.py could not report it.
    table = tmp_path / "table.py"
    table.write_text(
        "from stacks.config import EnvironmentConfig\n"
        "ENVIRONMENTS = (\n"
        "    EnvironmentConfig(name='dev', memroy_size_in_mb=2048, max_concurrency=2),\n"
        ")\n"
    )
    (config,) = runpy.run_path(str(table))["ENVIRONMENTS"]
    assert config.problems()[0].startswith("memroy_size_in_mb is not a field")


def test_app_py_prints_every_table_mistake_without_a_traceback(
    project_root: Path, tmp_path: Path
) -> None:
    code = (
        "import runpy, stacks.config as c, stacks.app as a\n"
        "E = c.EnvironmentConfig\n"
        "table = (E(name='dev', memroy_size_in_mb=2048, max_concurrency=2),\n"
        "         E(name='prod', memory_size_in_mb='2048', max_concurrency=True))\n"
        "a.build_app.__kwdefaults__['environments'] = table\n"
        "runpy.run_path('app.py', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project_root,
        capture_output=True,
        text=True,
        env={**os.environ, "CDK_OUTDIR": str(tmp_path)},
        check=False,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        "error: stacks/config.py ENVIRONMENTS: 4 configuration problems:\n"
        "  - environment 'dev': memroy_size_in_mb is not a field of EnvironmentConfig; "
        "did you mean memory_size_in_mb?\n"
    ), result.stderr
    assert "got str '2048'" in result.stderr
    assert "got bool True" in result.stderr
    assert "Traceback" not in result.stderr


# --- the pipeline ---------------------------------------------------------------------------


def test_a_bad_target_and_missing_fields_are_reported_in_the_same_run() -> None:
    context: dict[str, Any] = {
        "pipeline:repository": "my-org/repo",
        "pipeline:targets": "dev=12345/eu-west-1",
    }
    with pytest.raises(ServerlessConfigError) as caught:
        resolve_pipeline(context=context.get, context_keys=context, environments=ENVIRONMENTS)
    assert caught.value.problems == (
        "connection_arn is missing; set it in PIPELINE or pass -c pipeline:connectionArn=...",
        "account is missing; set it in PIPELINE or pass -c pipeline:account=...",
        "region is missing; set it in PIPELINE or pass -c pipeline:region=...",
        "targets['dev'].account='12345' is not a 12-digit AWS account id",
        *(
            f"targets has no {name!r}: every stage deploys to an explicit account and region; "
            f"set targets[{name!r}] (context pipeline:targets={name}=<account>/<region>,...) or "
            "account and region in stacks/config.py"
            for name in ("staging", "prod")
        ),
    )


def test_a_misspelt_context_key_is_named_with_the_closest_key() -> None:
    context: dict[str, Any] = {
        **{f"pipeline:{key}": value for key, value in PIPELINE.items() if key != "connection_arn"},
        "pipeline:connectionArn": CONNECTION,
        "pipeline:tragets": "dev=222222222222/eu-west-1",
        "pipeline:xyz": "blue",
        "@aws-cdk/core:newStyleStackSynthesis": True,  # not a pipeline key: not ours to judge
    }
    with pytest.raises(ServerlessConfigError) as caught:
        resolve_pipeline(context=context.get, context_keys=context, environments=ENVIRONMENTS)
    problems = caught.value.problems
    assert problems[0].startswith(
        "context pipeline:tragets is not a pipeline setting; did you mean pipeline:targets?"
    )
    assert problems[1].startswith(
        "context pipeline:xyz is not a pipeline setting; the keys are pipeline:connectionArn, "
    )
    # the misspelt targets are not applied: every environment still lacks one
    assert [p.split(":")[0] for p in problems[2:]] == [
        "targets has no 'dev'",
        "targets has no 'staging'",
        "targets has no 'prod'",
    ]


def test_a_misspelt_key_alone_still_means_a_pipeline_was_wanted() -> None:
    context: dict[str, Any] = {"pipeline:repo": "my-org/repo"}
    with pytest.raises(ServerlessConfigError, match="did you mean pipeline:repository"):
        resolve_pipeline(context=context.get, context_keys=context, environments=ENVIRONMENTS)


def test_pipeline_and_target_fields_are_checked_like_the_table() -> None:
    configured = PipelineConfig(  # type: ignore[call-arg]
        **PIPELINE | {"region": 1},
        approval_before="prod",  # type: ignore[arg-type]
        targts={},
        targets=MappingProxyType(
            {
                "dev": DeploymentTarget(acount="222222222222", region="eu-west-1"),  # type: ignore[call-arg]
                "staging": TARGETS["staging"],
                "prod": TARGETS["prod"],
            }
        ),
    )
    with pytest.raises(ServerlessConfigError) as caught:
        resolve_pipeline(context=lambda key: None, environments=ENVIRONMENTS, configured=configured)
    assert caught.value.problems == (
        "targts is not a field of PipelineConfig; did you mean targets?",
        "region must be a string (str), got int 1",
        "approval_before must be a tuple of str values (tuple[str, ...]), got str 'prod'; "
        "for one value write ('prod',)",
        "targets['dev'].acount is not a field of DeploymentTarget; did you mean account?",
        "targets['dev'].account is missing; give a string (str)",
    )


def test_the_valid_tables_have_no_problems() -> None:
    assert validate_environments(ENVIRONMENTS) == ENVIRONMENTS
    config = PipelineConfig(**PIPELINE, targets=MappingProxyType(TARGETS))
    assert config.problems(ENVIRONMENTS) == []
    assert dataclasses.replace(ENVIRONMENTS[0], max_concurrency=3).problems() == []


def test_a_field_whose_type_cannot_be_checked_fails_when_the_class_is_defined() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Sizes:
        sizes: list[int]

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Either:
        size: int | str | None

    with pytest.raises(TypeError, match=r"cannot check the annotation list\[int\]"):
        checked_fields(Sizes)
    with pytest.raises(TypeError, match=r"cannot check the annotation int \| str \| None"):
        checked_fields(Either)


def test_the_table_and_the_pipeline_are_reported_together() -> None:
    app = new_app()
    app.node.set_context("pipeline:repository", "my-org/repo")
    app.node.set_context("pipeline:tragets", "dev=222222222222/eu-west-1")
    table = (
        EnvironmentConfig(**DEV | {"memory_size_in_mb": 1000}),
        *ENVIRONMENTS[1:],
    )
    with pytest.raises(ServerlessConfigError) as caught:
        build_app(app, environ={}, environments=table, pipeline=None)
    problems = caught.value.problems
    assert str(caught.value).startswith("configuration: 7 configuration problems:")
    assert problems[:3] == (
        "stacks/config.py ENVIRONMENTS: environment 'dev': memory_size_in_mb=1000 is not "
        "allowed; use one of 1024, 2048, 3072, 4096, 5120, 6144",
        "pipeline configuration: context pipeline:tragets is not a pipeline setting; "
        "did you mean pipeline:targets?",
        "pipeline configuration: connection_arn is missing; set it in PIPELINE or pass "
        "-c pipeline:connectionArn=...",
    )
    # the pipeline is checked against the valid environments: no stage for the broken 'dev'
    assert [p.split(":")[1].strip() for p in problems[5:]] == [
        "targets has no 'staging'",
        "targets has no 'prod'",
    ]


def test_a_misspelt_keyword_in_the_scaling_is_named_too() -> None:
    scaling = ProvisionedConcurrencyScaling(  # type: ignore[call-arg]
        min_provisoned_concurrency=1,
        max_provisioned_concurrency=5,
        schedules=(
            ScheduledConcurrency(  # type: ignore[call-arg]
                nme="nights", schedule="cron(0 19 ? * MON-FRI *)", min_provisioned_concurrency=1
            ),
        ),
    )
    config = EnvironmentConfig(
        **DEV | {"max_concurrency": 5, "provisioned_concurrency": 1},
        provisioned_concurrency_scaling=scaling,
    )
    assert config.problems() == [
        "provisioned_concurrency_scaling.min_provisoned_concurrency is not a field of "
        "ProvisionedConcurrencyScaling; did you mean min_provisioned_concurrency?",
        "provisioned_concurrency_scaling.min_provisioned_concurrency=<missing> must be a whole "
        "number; use 1-200, at most max_concurrency",
        "provisioned_concurrency_scaling.schedules[0].nme is not a field of ScheduledConcurrency; "
        "did you mean name?",
        "provisioned_concurrency_scaling.schedules[0].name=<missing> is not allowed; use 1-64 "
        "letters, digits, '-' and '_', starting with a letter or digit",
    ]


def test_a_literal_field_names_its_allowed_values_and_refuses_a_lookalike() -> None:
    from stacks.config import EnvironmentConfig

    def problems(value: object) -> list[str]:
        config = EnvironmentConfig(
            name="dev",
            memory_size_in_mb=2048,
            max_concurrency=2,
            deployed_by=value,  # type: ignore[arg-type]
        )
        return config.problems()

    assert problems("pipeline") == []
    assert problems("Pipeline") == [
        "deployed_by='Pipeline' is not allowed; use 'anyone' or 'pipeline'"
    ]
    assert problems(None) == ["deployed_by=None is not allowed; use 'anyone' or 'pipeline'"]
