"""The delivery pipeline: stages in order, approval before prod, smoke steps, least privilege, nag.

One synthesis of the app with the README's example pipeline serves every test (``pipeline_app``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from sagemaker_serverless import ServerlessConfigError, ServerlessEndpoint
from stacks import pipeline_stack
from stacks.app import build_pipeline
from stacks.config import ENVIRONMENTS, EnvironmentConfig
from stacks.pipeline_config import (
    DeploymentTarget,
    PipelineConfig,
    resolve_pipeline,
    smoke_test_role_name,
    smoke_test_runner_role_name,
)
from stacks.pipeline_nag import NAG_PACKS, nag_findings, pipeline_nag_scopes
from stacks.pipeline_stack import pinned_requirement, synth_commands
from tests.background import JobResult
from tests.synth import PIPELINE_EXAMPLE_CONTEXT, SynthesizedPipeline, new_app, synthesize

ENVIRONMENT_NAMES = [config.name for config in ENVIRONMENTS]
TARGETS = {"dev": "222222222222", "staging": "333333333333", "prod": "444444444444"}
PIPELINE_ACCOUNT = "111111111111"


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def pipeline_stages(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    (pipeline,) = resources(template, "AWS::CodePipeline::Pipeline").values()
    return {stage["Name"]: stage["Actions"] for stage in pipeline["Properties"]["Stages"]}


def buildspec(template: dict[str, Any], project_id: str) -> dict[str, Any]:
    project = template["Resources"][project_id]["Properties"]
    spec: dict[str, Any] = json.loads(project["Source"]["BuildSpec"])
    return spec


def project_id_of(action: dict[str, Any]) -> str:
    project_id: str = action["Configuration"]["ProjectName"]["Ref"]
    return project_id


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.fixture(scope="module")
def template(pipeline_app: SynthesizedPipeline) -> dict[str, Any]:
    return pipeline_app.template()


# --- stages, approval, smoke steps -------------------------------------------------------


def test_stages_run_source_build_then_each_environment_in_order(template: dict[str, Any]) -> None:
    assert list(pipeline_stages(template)) == [
        "Source",
        "Build",
        "UpdatePipeline",
        "Assets",
        *ENVIRONMENT_NAMES,
    ]
    assert ENVIRONMENT_NAMES == ["dev", "staging", "prod"]


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_each_stage_deploys_its_stack_to_its_own_account(
    template: dict[str, Any], environment: str
) -> None:
    actions = pipeline_stages(template)[environment]
    stack_name = f"SageMakerServerless-{environment}"
    (execute,) = [a for a in actions if a["Name"] == f"{stack_name}.Deploy"]
    assert execute["Configuration"]["StackName"] == stack_name
    deploy_role = json.dumps(execute["RoleArn"])
    assert f":iam::{TARGETS[environment]}:role/cdk-hnb659fds-deploy-role-" in deploy_role


def test_a_manual_approval_precedes_prod_and_only_prod(template: dict[str, Any]) -> None:
    stages = pipeline_stages(template)
    for environment in ENVIRONMENT_NAMES:
        approvals = [a for a in stages[environment] if a["ActionTypeId"]["Provider"] == "Manual"]
        if environment != "prod":
            assert approvals == [], environment
            continue
        (approval,) = approvals
        later = [a for a in stages["prod"] if a is not approval]
        assert all(a["RunOrder"] > approval["RunOrder"] for a in later)


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_one_smoke_step_per_stage_runs_after_the_deploy_on_its_output(
    template: dict[str, Any], environment: str
) -> None:
    actions = pipeline_stages(template)[environment]
    (smoke,) = [a for a in actions if a["ActionTypeId"]["Provider"] == "CodeBuild"]
    assert smoke["Name"] == f"SmokeTest-{environment}"
    assert smoke["RunOrder"] > max(a["RunOrder"] for a in actions if a is not smoke)
    # The script reads the endpoint's name from the stack's output itself (--stack), and checks
    # that the endpoint runs what the stack deployed (exit 3 on drift).
    assert "EnvironmentVariables" not in smoke["Configuration"]
    commands = buildspec(template, project_id_of(smoke))["phases"]["build"]["commands"]
    assert commands[-1] == (
        f"python -m scripts.smoke_test --stack SageMakerServerless-{environment} "
        "--region eu-west-1 --profile smoke-test "
        "--payload model/smoke-payload.csv --content-type text/csv --feature-count 10"
    )
    assert "--no-config-check" not in commands[-1]
    # The script's exit code is the step's: nothing may swallow a failure.
    assert not any("||" in command or "set +e" in command for command in commands)
    assert "python -m pip install --quiet --disable-pip-version-check boto3==" in commands[0]


def test_pipeline_tools_are_the_pinned_versions(
    template: dict[str, Any], project_root: Path
) -> None:
    package = json.loads((project_root / "package.json").read_text())
    specs = json.dumps(
        [p["Properties"]["Source"] for p in resources(template, "AWS::CodeBuild::Project").values()]
    )
    # Self-mutation deploys with the same CDK CLI as `npx cdk` on a laptop.
    assert f"npm install -g aws-cdk@{package['devDependencies']['aws-cdk']}" in specs
    assert "npm install -g cdk-assets@4.7.3" in specs
    assert "@latest" not in specs


def test_the_smoke_step_installs_the_pinned_boto3() -> None:
    requirements = (Path(__file__).parent.parent / "requirements.txt").read_text()
    assert re.search(rf"^{re.escape(pinned_requirement('boto3'))}$", requirements, re.MULTILINE)


# --- the synth step -----------------------------------------------------------------------


def test_synth_step_runs_the_readme_commands(template: dict[str, Any]) -> None:
    (synth,) = pipeline_stages(template)["Build"]
    spec = buildspec(template, project_id_of(synth))
    assert spec["phases"]["install"]["runtime-versions"] == {"python": "3.11"}
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    commands = spec["phases"]["build"]["commands"]
    assert commands[0] == "make test"
    # The -c context the pipeline was configured with is passed on, so it rebuilds itself.
    expected_arguments = " ".join(
        f"-c {k}={v}" for k, v in sorted(PIPELINE_EXAMPLE_CONTEXT.items())
    )
    assert commands[1:] == [f'make synth CDK_SYNTH_ARGS="{expected_arguments}"']


def test_synth_step_without_context_is_plain_make_synth() -> None:
    configured = resolve_pipeline(
        context=lambda key: None, environments=ENVIRONMENTS, configured=example_config()
    )
    assert configured is not None
    assert synth_commands(configured) == ["make test", "make synth"]


def test_readme_and_makefile_name_the_commands_the_synth_step_runs(project_root: Path) -> None:
    readme = (project_root / "README.md").read_text()
    assert "make test" in readme
    assert "make synth" in readme
    makefile = (project_root / "Makefile").read_text()
    assert '$(CDK) synth --quiet --output "$(CDK_OUT).new" $(CDK_SYNTH_ARGS)' in makefile


def test_makefile_example_is_the_tested_example(project_root: Path) -> None:
    makefile = (project_root / "Makefile").read_text()
    block = re.search(r"^PIPELINE_EXAMPLE_ARGS := \\\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert block is not None
    pairs = re.findall(r"-c (\S+?)=(\S+)", block.group(1))
    assert dict(pairs) == PIPELINE_EXAMPLE_CONTEXT


# --- least privilege of the smoke steps -----------------------------------------------------


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_smoke_runner_may_only_assume_its_environments_smoke_role(
    pipeline_app: SynthesizedPipeline, template: dict[str, Any], environment: str
) -> None:
    runner = pipeline_app.stack.smoke_steps[environment].project.role
    assert isinstance(runner, iam.Role)
    runner_id = pipeline_app.stack.resolve(
        pipeline_app.stack.get_logical_id(runner.node.default_child)  # type: ignore[arg-type]
    )
    role = template["Resources"][runner_id]["Properties"]
    assert role["RoleName"] == f"SageMakerServerlessPipeline-{environment}-smoke"
    assert "ManagedPolicyArns" not in role
    statements = role_statements(template, runner_id)
    assume = [s for s in statements if "sts:AssumeRole" in json.dumps(s["Action"])]
    assert assume == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Resource": (
                f"arn:aws:iam::{TARGETS[environment]}:role/SageMakerServerless-{environment}"
                "-smoke-test"
            ),
        }
    ]
    # Everything else is CodeBuild's own: its logs, reports, and reading the source artifact.
    other_actions = {
        action
        for statement in statements
        if statement not in assume
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert {a.split(":")[0] for a in other_actions} == {"logs", "codebuild", "s3", "kms"}
    assert not any(a.startswith(("sagemaker:", "cloudformation:", "iam:")) for a in other_actions)


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_smoke_role_may_only_use_that_endpoint_and_read_its_stack(
    pipeline_app: SynthesizedPipeline, environment: str
) -> None:
    stage = next(s for s in pipeline_app.stack.stages if s.environment.name == environment)
    access = pipeline_app.stage_template(environment, stage.smoke_test_access)
    endpoint_template = pipeline_app.stage_template(environment, stage.endpoint_stack)
    ((_, endpoint),) = resources(endpoint_template, "AWS::SageMaker::Endpoint").items()
    endpoint_name = endpoint["Properties"]["EndpointName"]

    ((_, role),) = resources(access, "AWS::IAM::Role").items()
    assert role["Properties"]["RoleName"] == f"SageMakerServerless-{environment}-smoke-test"
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": (
                        f"arn:aws:iam::{PIPELINE_ACCOUNT}:role/"
                        f"SageMakerServerlessPipeline-{environment}-smoke"
                    )
                }
            },
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PIPELINE_ACCOUNT}:root"},
        }
    ]
    assert resources(access, "AWS::IAM::Policy") == {}
    ((_, policy),) = resources(access, "AWS::IAM::ManagedPolicy").items()
    # The live-configuration check reads the configs and models this stack creates, which
    # CloudFormation names <logical id>-<random>: the ids of the endpoint stack's own template.
    ((config_id, _),) = resources(endpoint_template, "AWS::SageMaker::EndpointConfig").items()
    ((model_id, _),) = resources(endpoint_template, "AWS::SageMaker::Model").items()
    sagemaker = f"arn:aws:sagemaker:eu-west-1:{TARGETS[environment]}"
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
            "Effect": "Allow",
            # SageMaker writes endpoint names lowercased in ARNs.
            "Resource": f"{sagemaker}:endpoint/{endpoint_name.lower()}",
        },
        {
            "Action": [
                "cloudformation:DescribeStackResources",
                "cloudformation:DescribeStacks",
                "cloudformation:GetTemplate",
            ],
            "Effect": "Allow",
            "Resource": (
                f"arn:aws:cloudformation:eu-west-1:{TARGETS[environment]}:stack/"
                f"SageMakerServerless-{environment}/*"
            ),
        },
        {
            "Action": "sagemaker:DescribeEndpointConfig",
            "Effect": "Allow",
            "Resource": [
                f"{sagemaker}:endpoint-config/{config_id}-*",
                f"{sagemaker}:endpoint-config/{config_id.lower()}-*",
            ],
        },
        {
            "Action": "sagemaker:DescribeModel",
            "Effect": "Allow",
            "Resource": [
                f"{sagemaker}:model/{model_id}-*",
                f"{sagemaker}:model/{model_id.lower()}-*",
            ],
        },
    ]


@pytest.mark.parametrize("environment", ENVIRONMENT_NAMES)
def test_smoke_roles_wildcards_are_acknowledged_one_by_one(
    pipeline_app: SynthesizedPipeline, environment: str
) -> None:
    stage = next(s for s in pipeline_app.stack.stages if s.environment.name == environment)
    access = pipeline_app.stage_template(environment, stage.smoke_test_access)
    ((_, policy),) = resources(access, "AWS::IAM::ManagedPolicy").items()
    wildcards = [
        resource
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if "*" in resource
    ]
    assert len(wildcards) == 5  # the stack's id; two spellings each of the config and model
    acknowledged = {
        rule: reason
        for path, rule, reason in acknowledgements(pipeline_app.stack.node.root)
        if path == stage.smoke_test_access.policy.node.path
    }
    assert set(acknowledged) == {
        f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]" for resource in wildcards
    }
    assert all("generated" in reason for reason in acknowledged.values())


def test_role_names_fit_iam_for_the_longest_environment_name() -> None:
    longest = EnvironmentConfig(name="a" * 16, memory_size_in_mb=2048, max_concurrency=1)
    assert longest.problems() == []
    assert len(smoke_test_runner_role_name(longest)) <= 64
    assert len(smoke_test_role_name(longest)) <= 64


# --- the environments inside the pipeline ----------------------------------------------------


def without_paths(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` without the construct-path metadata (``cdk diff`` shows, CFN ignores)."""
    copy: dict[str, Any] = json.loads(json.dumps(template))
    for resource in copy["Resources"].values():
        resource.get("Metadata", {}).pop("aws:cdk:path", None)
    return copy


def test_stage_stacks_equal_the_laptop_templates(
    pipeline_app: SynthesizedPipeline, tmp_path: Path
) -> None:
    # `make synth` with each environment pinned to its target gives the same template: the
    # pipeline deploys exactly what a laptop deploys, with the same endpoint names.
    pinned = tuple(
        dataclasses.replace(c, account=TARGETS[c.name], region="eu-west-1") for c in ENVIRONMENTS
    )
    laptop = synthesize(tmp_path, {}, environments=pinned)
    for stage in pipeline_app.stack.stages:
        name = stage.environment.name
        assert stage.endpoint_stack.stack_name == f"SageMakerServerless-{name}"
        in_pipeline = pipeline_app.stage_template(name, stage.endpoint_stack)
        assert without_paths(in_pipeline) == without_paths(laptop.template(name)), name
        ((_, endpoint),) = resources(in_pipeline, "AWS::SageMaker::Endpoint").items()
        endpoint_name = endpoint["Properties"]["EndpointName"]
        assert endpoint_name.startswith(f"SageMakerServerless-{name}-Endpoint-")
        assert len(endpoint_name) <= 63


# --- cdk-nag ------------------------------------------------------------------------------


def test_all_five_nag_packs_find_nothing_unacknowledged(pipeline_app: SynthesizedPipeline) -> None:
    assert [pack.__name__ for pack in NAG_PACKS] == [
        "AwsSolutionsChecks",
        "HIPAASecurityChecks",
        "NIST80053R5Checks",
        "PCIDSS321Checks",
        "ServerlessChecks",
    ]
    findings = nag_findings(pipeline_nag_scopes(pipeline_app.stack))
    assert [f for f in findings if f.severity == "error"] == []
    assert findings == []


def acknowledgements(construct: Any) -> list[tuple[str, str, str]]:
    """The pipeline's acknowledgements: those of the endpoint construct itself (its two
    execution-policy wildcards, tested with the construct) are not the pipeline's."""
    endpoints = [
        c.node.path for c in construct.node.find_all() if isinstance(c, ServerlessEndpoint)
    ]
    found = []
    for child in construct.node.find_all():
        path = child.node.path
        if any(path.startswith(f"{endpoint}/") for endpoint in endpoints):
            continue
        for entry in child.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                found += [(path, rule, reason) for rule, reason in entry.data.items()]
    return found


def test_acknowledgements_are_specific_and_reasoned(pipeline_app: SynthesizedPipeline) -> None:
    app = pipeline_app.stack.node.root
    stack_path = pipeline_app.stack.node.path
    acks = acknowledgements(app)
    assert 60 <= len(acks) <= 150
    smoke_access = [s.smoke_test_access.node.path for s in pipeline_app.stack.stages]
    for path, rule, reason in acks:
        # On the pipeline's own constructs, never on the app, the stack, a stage or an
        # environment's endpoint stack (the smoke test access stacks are the pipeline's).
        assert path.startswith(f"{stack_path}/"), path
        in_stage = any(
            path == s.node.path or path.startswith(f"{s.node.path}/")
            for s in pipeline_app.stack.stages
        )
        assert not in_stage or any(path.startswith(f"{a}/") for a in smoke_access), path
        assert len(reason) > 80, (path, rule)
        # Wildcard findings are acknowledged one by one, never the whole rule.
        assert rule != "Annotation::AwsSolutions-IAM5", path


def test_every_acknowledgement_matches_a_real_finding(
    pipeline_app: SynthesizedPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same pipeline built without acknowledgements (and without the synth-time gate):
    # its raw findings. Every acknowledgement must cover at least one of them at or below the
    # construct it is attached to: none is stale, none is broader than a finding.
    monkeypatch.setattr(pipeline_stack, "acknowledge_pipeline_findings", lambda stack: None)
    monkeypatch.setattr(pipeline_stack, "add_pipeline_nag_checks", lambda stack: None)
    app = new_app()
    for key, value in PIPELINE_EXAMPLE_CONTEXT.items():
        app.node.set_context(key, value)
    bare = build_pipeline(app, pipeline=None)
    assert bare is not None
    raw = {(f.rule, f.path) for f in nag_findings(pipeline_nag_scopes(bare))}
    assert len(raw) > 100
    for path, rule, _ in acknowledgements(pipeline_app.stack.node.root):
        # "Annotation::<rule>" (cdk-nag's own form) or "<pack>::<rule>" (CDK's, for a pack).
        rule_id = rule.split("::", 1)[1] if "[" not in rule.split("::", 1)[0] else rule
        covered = [p for r, p in raw if r == rule_id and (p == path or p.startswith(f"{path}/"))]
        assert covered, (path, rule_id)


def test_an_unacknowledged_wildcard_is_reported() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    rules = {f.rule for f in nag_findings([stack])}
    assert "AwsSolutions-IAM5[Resource::*]" in rules
    assert "HIPAA.Security-IAMNoInlinePolicy" in rules


# --- configuration ------------------------------------------------------------------------


def example_config(**changes: Any) -> PipelineConfig:
    config = PipelineConfig(
        connection_arn=PIPELINE_EXAMPLE_CONTEXT["pipeline:connectionArn"],
        repository="my-org/sagemaker-serverless",
        account=PIPELINE_ACCOUNT,
        region="eu-west-1",
        targets=MappingProxyType(
            {
                name: DeploymentTarget(account=account, region="eu-west-1")
                for name, account in TARGETS.items()
            }
        ),
    )
    return dataclasses.replace(config, **changes)


def test_no_configuration_means_no_pipeline_stack() -> None:
    app = new_app()
    assert build_pipeline(app, pipeline=None) is None
    assert resolve_pipeline(context=lambda key: None, environments=ENVIRONMENTS) is None


def test_context_overrides_the_typed_configuration() -> None:
    resolved = resolve_pipeline(
        context={"pipeline:branch": "release/2"}.get,
        environments=ENVIRONMENTS,
        configured=example_config(),
    )
    assert resolved is not None
    assert resolved.config.branch == "release/2"
    assert resolved.config.repository == "my-org/sagemaker-serverless"
    assert resolved.context_arguments() == "-c pipeline:branch=release/2"


def test_missing_fields_are_named_with_their_context_key() -> None:
    with pytest.raises(ServerlessConfigError) as caught:
        resolve_pipeline(
            context={"pipeline:repository": "my-org/repo"}.get, environments=ENVIRONMENTS
        )
    problems = caught.value.problems
    assert problems[:3] == (
        "connection_arn is missing; set it in PIPELINE or pass -c pipeline:connectionArn=...",
        "account is missing; set it in PIPELINE or pass -c pipeline:account=...",
        "region is missing; set it in PIPELINE or pass -c pipeline:region=...",
    )
    # the rest of the configuration is checked in the same run, not after the fields are given
    assert [problem.split(":")[0] for problem in problems[3:]] == [
        f"targets has no {name!r}" for name in ("dev", "staging", "prod")
    ]


def test_invalid_values_are_named_with_what_is_allowed() -> None:
    bad = example_config(
        connection_arn="arn:aws:s3:::bucket",
        repository="no-slash",
        branch="-rm -rf",
        account="123",
        region="moon",
        targets=MappingProxyType(
            {
                "dev": DeploymentTarget(account="1", region="eu-west-1"),
                "qa": DeploymentTarget(account="555555555555", region="eu-west-1"),
            }
        ),
        approval_before=("production",),
    )
    problems = bad.problems(ENVIRONMENTS)
    expected_starts = [
        "connection_arn='arn:aws:s3:::bucket' is not allowed; use a connection ARN",
        "repository='no-slash' is not allowed; use 'owner/repo'",
        "branch='-rm -rf' is not allowed",
        "account='123' is not allowed; use a 12-digit AWS account id",
        "region='moon' is not allowed",
        "targets has 'qa', which is not an environment (environments: dev, staging, prod)",
        "approval_before has 'production', which is not an environment",
        "targets['dev'].account='1' is not a 12-digit AWS account id",
        "targets has no 'staging'",
        "targets has no 'prod'",
    ]
    assert len(problems) == len(expected_starts), problems
    for problem, start in zip(problems, expected_starts, strict=True):
        assert problem.startswith(start), (problem, start)


def test_pinned_environment_accounts_serve_as_targets_and_must_agree() -> None:
    pinned = tuple(
        dataclasses.replace(c, account=TARGETS[c.name], region="eu-west-1") for c in ENVIRONMENTS
    )
    config = example_config(targets=MappingProxyType({}))
    assert config.problems(pinned) == []
    assert config.target(pinned[2]) == DeploymentTarget(account="444444444444", region="eu-west-1")
    disagreeing = example_config(
        targets=MappingProxyType(
            {"prod": DeploymentTarget(account="999999999999", region="eu-west-1")}
        )
    )
    assert disagreeing.problems(pinned) == [
        "targets['prod'].account='999999999999' disagrees with account='444444444444' in "
        "stacks/config.py; keep one"
    ]


def test_targets_context_is_parsed() -> None:
    resolved = resolve_pipeline(context=PIPELINE_EXAMPLE_CONTEXT.get, environments=ENVIRONMENTS)
    assert resolved is not None
    assert dict(resolved.config.targets) == {
        name: DeploymentTarget(account=account, region="eu-west-1")
        for name, account in TARGETS.items()
    }
    with pytest.raises(ServerlessConfigError, match=r"targets\['dev'\].region='' is not"):
        resolve_pipeline(
            context={**PIPELINE_EXAMPLE_CONTEXT, "pipeline:targets": "dev=222222222222"}.get,
            environments=ENVIRONMENTS[:1],
        )


def test_app_py_reports_pipeline_config_errors_without_a_traceback(
    project_root: Path, tmp_path: Path
) -> None:
    # The CDK CLI hands -c context to app.py in CDK_CONTEXT_JSON.
    context = {"pipeline:repository": "my-org/repo", "pipeline:account": "12"}
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=project_root,
        capture_output=True,
        text=True,
        env={**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps(context)},
        check=False,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    # missing fields, the bad account and the missing targets: all in the first run
    assert "pipeline configuration: 6 configuration problems" in result.stderr
    assert "connection_arn is missing" in result.stderr
    assert "account='12' is not allowed" in result.stderr
    assert "Traceback" not in result.stderr


def test_cfn_lint_finds_nothing_in_the_pipeline_templates(
    pipeline_app: SynthesizedPipeline,
) -> None:
    from cfnlint.api import ManualArgs, lint_file

    paths = [pipeline_app.template_path] + [
        pipeline_app.outdir / stage.artifact_id / stage.smoke_test_access.template_file
        for stage in pipeline_app.stack.stages
    ]
    for path in paths:
        # W3005 (a DependsOn that a GetAtt already implies): CDK's Pipeline resource names its
        # role's policy and the role itself; the redundant edge is harmless and not ours.
        ignored = ["W3005"] if path == pipeline_app.template_path else []
        matches = lint_file(path, config=ManualArgs(regions=["eu-west-1"], ignore_checks=ignored))
        assert [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches] == [], path.name


# What CloudFormation needs to create, update and delete each resource type of a stage.
EXECUTION_ACTIONS = {
    "AWS::IAM::Role": ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"],
    "AWS::IAM::Policy": ["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
    "AWS::IAM::ManagedPolicy": ["iam:CreatePolicy", "iam:DeletePolicy", "iam:AttachRolePolicy"],
    "AWS::SageMaker::Model": ["sagemaker:CreateModel", "sagemaker:DeleteModel", "iam:PassRole"],
    "AWS::SageMaker::EndpointConfig": [
        "sagemaker:CreateEndpointConfig",
        "sagemaker:DeleteEndpointConfig",
    ],
    "AWS::SageMaker::Endpoint": [
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:DeleteEndpoint",
        "sagemaker:DescribeEndpoint",
    ],
    # SageMaker uses the endpoint config's key through a grant made with the caller's identity.
    "AWS::KMS::Key": [
        "kms:CreateKey",
        "kms:CreateGrant",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
    ],
    "AWS::CloudWatch::Alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
    "AWS::CloudWatch::Dashboard": ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
    "AWS::SNS::Topic": ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes"],
    "AWS::SNS::TopicPolicy": ["sns:SetTopicAttributes"],
    "AWS::ApplicationAutoScaling::ScalableTarget": [
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:PutScheduledAction",
        "application-autoscaling:DeleteScheduledAction",
        "iam:CreateServiceLinkedRole",
    ],
    "AWS::ApplicationAutoScaling::ScalingPolicy": [
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DescribeScalingPolicies",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
    ],
}
# The only action allowed on Resource "*" with a condition: it has no resource to name before the
# key exists (the policy limits it with a request-tag condition instead).
STAR_RESOURCE_ACTIONS = ("kms:CreateKey",)
# Read-only actions that support no resource-level permissions at all (Service Authorization
# Reference, Application Auto Scaling): Resource "*" is the only way to allow them.
STAR_ONLY_READ_ACTIONS = {
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DescribeScheduledActions",
}


def test_the_documented_execution_policy_covers_the_stages_and_no_more(
    pipeline_app: SynthesizedPipeline, project_root: Path
) -> None:
    policy = json.loads((project_root / "deploy" / "cfn-execution-policy.json").read_text())
    statements = policy["Statement"]
    allowed = {
        action
        for s in statements
        for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "*" not in json.dumps(statement["Action"]), statement["Sid"]
        if statement["Resource"] == "*" and set(statement["Action"]) <= STAR_ONLY_READ_ACTIONS:
            continue
        if statement["Resource"] == "*":
            assert statement["Action"] in STAR_RESOURCE_ACTIONS, statement["Sid"]
            assert "Condition" in statement, statement["Sid"]
    for stage in pipeline_app.stack.stages:
        for stack in (stage.endpoint_stack, stage.smoke_test_access):
            template = pipeline_app.stage_template(stage.environment.name, stack)
            for resource in template["Resources"].values():
                assert resource["Type"] in EXECUTION_ACTIONS, resource["Type"]
                missing = set(EXECUTION_ACTIONS[resource["Type"]]) - allowed
                assert missing == set(), resource["Type"]
            # Names CloudFormation gives these stacks' roles and policies start with the
            # stack name, which the policy's resource patterns name.
            assert stack.stack_name.startswith("SageMakerServerless-")
        endpoint_name = stage.endpoint_stack.endpoint.cfn_endpoint.endpoint_name
        assert endpoint_name is not None
        assert endpoint_name.lower().startswith("sagemakerserverless-")


@pytest.mark.cli
def test_cli_synth_with_the_example_context_writes_the_same_pipeline(
    pipeline_app: SynthesizedPipeline, cli_synth_result: JobResult
) -> None:
    # What `make synth-pipeline` runs, into a temporary directory (tests/background.py).
    result = cli_synth_result
    assert result.returncode == 0, result.stderr
    written = result.directory / "cli.out" / "SageMakerServerlessPipeline.template.json"
    assert json.loads(written.read_text()) == pipeline_app.template()
