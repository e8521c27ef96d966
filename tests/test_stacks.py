"""The per-environment stacks and their configuration."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys
import tarfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from sagemaker_serverless import ServerlessConfigError
from stacks.app import cdk_environment
from stacks.compliance import RULE_PACKS, add_compliance_checks
from stacks.config import ENVIRONMENTS, EnvironmentConfig, validate_environments
from stacks.serverless_stack import OUTPUT_MODEL_FEATURE_COUNT, ServerlessEndpointStack
from tests.model_files import trained, write_archive
from tests.synth import SNAPSHOT_ENVIRON, SynthesizedApp, new_app, synthesize

ENVIRONMENT_NAMES = [config.name for config in ENVIRONMENTS]


RULE_PACK_NAMES = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321", "Serverless")


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


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_model_feature_count_output_is_read_from_the_artifact(
    regional_app: SynthesizedApp, agnostic_app: SynthesizedApp, environment: str
) -> None:
    # The sample model: scikit-learn's diabetes data, 10 features. A smoke test reads this
    # output by its id to build a request of the right width.
    assert OUTPUT_MODEL_FEATURE_COUNT == "ModelFeatureCount"
    for app in (regional_app, agnostic_app):
        output = app.template(environment)["Outputs"][OUTPUT_MODEL_FEATURE_COUNT]
        assert output == {
            "Description": "Number of features the model reads: values per text/csv row, no "
            "label (read from the model artifact at synth)",
            "Value": "10",
        }


def test_no_model_feature_count_output_when_the_artifact_does_not_say(tmp_path: Path) -> None:
    payload = pickle.dumps(trained("reg:squarederror"), protocol=4)  # feature count unknown
    artifact = write_archive(tmp_path / "model.tar.gz", {"xgboost-model": payload})
    (dev, *_) = ENVIRONMENTS
    stack = ServerlessEndpointStack(
        new_app(), "Dev", config=dataclasses.replace(dev, model_artifact=artifact)
    )
    outputs = Template.from_stack(stack).to_json()["Outputs"]
    assert "EndpointName" in outputs
    assert OUTPUT_MODEL_FEATURE_COUNT not in outputs


def test_the_sample_app_synthesizes_without_warnings(regional_app: SynthesizedApp) -> None:
    for stack in regional_app.stacks.values():
        assert Annotations.from_stack(stack).find_warning("*", Match.any_value()) == []


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=ENVIRONMENT_NAMES)
def test_tags_reach_every_taggable_resource(
    regional_app: SynthesizedApp, environment: EnvironmentConfig
) -> None:
    template = regional_app.template(environment.name)
    expected = [{"Key": k, "Value": v} for k, v in sorted(environment.tags.items())]
    # CloudFormation offers no Tags on these types.
    untaggable = {
        "AWS::IAM::ManagedPolicy",
        "AWS::CloudWatch::Dashboard",
        "AWS::SNS::TopicPolicy",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    }
    for resource in template["Resources"].values():
        if resource["Type"] not in untaggable:
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


@pytest.mark.parametrize("app_fixture", ["regional_app", "agnostic_app"])
def test_compliance_packs_report_no_unacknowledged_finding(
    app_fixture: str, request: pytest.FixtureRequest
) -> None:
    # synthesize() runs all five packs (as app.py does) and a violation fails the synth; CDK
    # writes a report next to the templates for every pack with something to say: violations,
    # or acknowledged findings with their reasons.
    synthesized: SynthesizedApp = request.getfixturevalue(app_fixture)
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert set(plugins) <= set(RULE_PACK_NAMES)
    for name, plugin in plugins.items():
        assert plugin["conclusion"] == "success", name
        assert plugin["violations"] == [], name
    acknowledged = [
        (finding["ruleName"], construct["constructPath"], finding["reason"])
        for plugin in plugins.values()
        for finding in plugin.get("suppressedViolations", [])
        for construct in finding["violatingConstructs"]
    ]
    # Only the execution policy's two unavoidable wildcards, once per environment.
    assert sorted({rule for rule, _, _ in acknowledged}) == [
        "AwsSolutions-IAM5[Resource::*]",
        *sorted({rule for rule, _, _ in acknowledged if rule.endswith(":log-stream:*]")}),
    ]
    assert {path for _, path, _ in acknowledged} == {
        f"{synthesized.stacks[name].stack_name}/Endpoint/ExecutionPolicy/Resource"
        for name in ENVIRONMENT_NAMES
    }
    assert len(acknowledged) == 2 * len(ENVIRONMENT_NAMES)


def test_every_synth_runs_the_five_compliance_packs() -> None:
    app = new_app()
    add_compliance_checks(app)
    assert [pack(app).name for pack in RULE_PACKS] == list(RULE_PACK_NAMES)


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_iam_allows_no_wildcard_actions_and_star_resources_only_where_unavoidable(
    regional_app: SynthesizedApp, environment: str
) -> None:
    template = regional_app.template(environment)
    for resource in template["Resources"].values():
        if not resource["Type"].startswith("AWS::IAM::"):
            continue
        document = resource["Properties"].get("PolicyDocument", {"Statement": []})
        for statement in document["Statement"]:
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            assert not any("*" in action for action in actions), statement
            if statement.get("Resource") == "*":
                assert actions in (["ecr:GetAuthorizationToken"], ["cloudwatch:PutMetricData"])
        assert resource["Properties"].get("ManagedPolicyArns", []) == [
            arn for arn in resource["Properties"].get("ManagedPolicyArns", []) if "Ref" in arn
        ], "no AWS managed policies"


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=ENVIRONMENT_NAMES)
def test_alarms_and_dashboard_follow_the_environment(
    regional_app: SynthesizedApp, environment: EnvironmentConfig
) -> None:
    template = regional_app.template(environment.name)
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    dashboards = resources_of_type(template, "AWS::CloudWatch::Dashboard")
    topics = resources_of_type(template, "AWS::SNS::Topic")
    (endpoint,) = resources_of_type(template, "AWS::SageMaker::Endpoint")
    # Three, and the spillover alarm where provisioned concurrency is set (prod).
    expected = 3 + (environment.provisioned_concurrency is not None) if environment.alarms else 0
    assert len(alarms) == expected
    assert len(dashboards) == (1 if environment.dashboard else 0)
    assert len(topics) == (1 if environment.alarms else 0)
    assert ("DeploymentConfig" in endpoint["Properties"]) is environment.alarms
    for topic in topics:
        assert "KmsMasterKeyId" in topic["Properties"]
    for alarm in alarms:
        assert len(alarm["Properties"]["AlarmActions"]) == 1


def test_prod_gets_alarms_and_dashboard_by_default() -> None:
    prod = next(e for e in ENVIRONMENTS if e.name == "prod")
    assert prod.alarms
    assert prod.dashboard


def test_alarm_emails_need_alarms_and_valid_addresses() -> None:
    dev = next(e for e in ENVIRONMENTS if e.name == "dev")
    broken = dataclasses.replace(dev, alarm_emails=("not-an-address",))
    with pytest.raises(ServerlessConfigError) as caught:
        validate_environments([broken])
    assert "environment 'dev': alarm_emails entry 'not-an-address' is not an e-mail" in str(
        caught.value
    )
    assert "alarm_emails is set but alarms=False" in str(caught.value)
