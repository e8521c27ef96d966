"""The per-environment stacks and their configuration."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tarfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sagemaker_serverless import ServerlessConfigError
from stacks.app import cdk_environment
from stacks.config import ENVIRONMENTS, EnvironmentConfig, validate_environments
from tests.synth import SNAPSHOT_ENVIRON, SynthesizedApp, new_app, synthesize

ENVIRONMENT_NAMES = [config.name for config in ENVIRONMENTS]


def resources_of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def test_environments_are_dev_staging_prod() -> None:
    assert ENVIRONMENT_NAMES == ["dev", "staging", "prod"]


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=ENVIRONMENT_NAMES)
def test_each_template_has_one_serverless_endpoint_with_its_settings(
    regional_app: SynthesizedApp, environment: EnvironmentConfig
) -> None:
    template = regional_app.template(environment.name)
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
    ):
        assert len(resources_of_type(template, resource_type)) == 1, resource_type
    (config,) = resources_of_type(template, "AWS::SageMaker::EndpointConfig")
    (variant,) = config["Properties"]["ProductionVariants"]
    expected = {
        "MemorySizeInMB": environment.memory_size_in_mb,
        "MaxConcurrency": environment.max_concurrency,
    }
    if environment.provisioned_concurrency is not None:
        expected["ProvisionedConcurrency"] = environment.provisioned_concurrency
    assert variant["ServerlessConfig"] == expected
    assert "InstanceType" not in variant


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_outputs_name_and_arn(regional_app: SynthesizedApp, environment: str) -> None:
    template = regional_app.template(environment)
    (endpoint_id,) = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SageMaker::Endpoint"
    ]
    assert template["Outputs"]["EndpointName"]["Value"] == {
        "Fn::GetAtt": [endpoint_id, "EndpointName"]
    }
    assert template["Outputs"]["EndpointArn"]["Value"] == {"Ref": endpoint_id}


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=ENVIRONMENT_NAMES)
def test_tags_reach_every_taggable_resource(
    regional_app: SynthesizedApp, environment: EnvironmentConfig
) -> None:
    template = regional_app.template(environment.name)
    expected = [{"Key": k, "Value": v} for k, v in sorted(environment.tags.items())]
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":  # IAM policies are not taggable
            assert resource["Properties"]["Tags"] == expected, resource["Type"]


def test_agnostic_templates_use_the_region_mapping(agnostic_app: SynthesizedApp) -> None:
    for environment in ENVIRONMENT_NAMES:
        template = agnostic_app.template(environment)
        assert len(template["Mappings"]) == 1
        (model,) = resources_of_type(template, "AWS::SageMaker::Model")
        assert "Fn::FindInMap" in json.dumps(model["Properties"]["PrimaryContainer"]["Image"])


def test_account_and_region_come_from_config_then_cli_defaults() -> None:
    base = ENVIRONMENTS[0]
    defaults = {"CDK_DEFAULT_ACCOUNT": "111111111111", "CDK_DEFAULT_REGION": "eu-west-1"}
    from_cli = cdk_environment(base, defaults)
    assert (from_cli.account, from_cli.region) == ("111111111111", "eu-west-1")
    explicit = dataclasses.replace(base, account="222222222222", region="us-west-2")
    resolved = cdk_environment(explicit, defaults)
    assert (resolved.account, resolved.region) == ("222222222222", "us-west-2")
    agnostic = cdk_environment(base, {})
    assert (agnostic.account, agnostic.region) == (None, None)


def test_config_errors_name_the_environment_and_field() -> None:
    bad = (
        dataclasses.replace(ENVIRONMENTS[0], memory_size_in_mb=512),
        dataclasses.replace(ENVIRONMENTS[2], max_concurrency=2, provisioned_concurrency=5),
        dataclasses.replace(ENVIRONMENTS[1], account="12345", region="mars"),
    )
    with pytest.raises(ServerlessConfigError) as caught:
        validate_environments(bad)
    problems = caught.value.problems
    assert "environment 'dev': memory_size_in_mb=512 is not allowed" in problems[0]
    assert (
        "environment 'prod': provisioned_concurrency=5 is greater than max_concurrency=2"
        in (problems[1])
    )
    assert any("environment 'staging': account='12345'" in p for p in problems)
    assert any("environment 'staging': region='mars'" in p for p in problems)


def test_duplicate_environment_names_are_rejected() -> None:
    with pytest.raises(ServerlessConfigError, match="'dev': name is used more than once"):
        validate_environments((ENVIRONMENTS[0], ENVIRONMENTS[0]))


def test_bad_config_fails_synth_before_any_stack_is_built(tmp_path: Path) -> None:
    bad = (dataclasses.replace(ENVIRONMENTS[0], max_concurrency=500),)
    with pytest.raises(ServerlessConfigError, match="environment 'dev': max_concurrency=500"):
        synthesize(tmp_path, {}, environments=bad)


def test_app_py_reports_config_errors_without_a_traceback(
    project_root: Path, tmp_path: Path
) -> None:
    # app.py run the way the CDK CLI runs it, with a broken environment table patched in.
    code = (
        "import dataclasses, runpy, stacks.config as c\n"
        "c.ENVIRONMENTS = (dataclasses.replace(c.ENVIRONMENTS[0], memory_size_in_mb=100),)\n"
        "import stacks.app as a\n"
        "a.build_app.__kwdefaults__['environments'] = c.ENVIRONMENTS\n"
        "runpy.run_path('app.py', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project_root,
        capture_output=True,
        text=True,
        env={**os.environ, "CDK_OUTDIR": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 2
    assert "environment 'dev': memory_size_in_mb=100 is not allowed" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_syntheses_are_byte_identical(regional_app: SynthesizedApp, tmp_path: Path) -> None:
    again = synthesize(tmp_path, SNAPSHOT_ENVIRON)
    for environment in ENVIRONMENT_NAMES:
        assert again.template_text(environment) == regional_app.template_text(environment)


def test_cdk_json_enables_every_recommended_flag_of_the_pinned_cdk() -> None:
    jsii_dir = resources.files("aws_cdk._jsii")
    (tarball,) = [p for p in jsii_dir.iterdir() if p.name.endswith(".jsii.tgz")]
    with tarfile.open(str(tarball)) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        recommended = json.load(member)
    context = new_app().node.try_get_context
    missing = {k: v for k, v in recommended.items() if context(k) != v}
    assert missing == {}
    assert context("@aws-cdk/core:validateAgainstDefaultRules") is True
