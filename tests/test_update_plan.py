"""scripts/update_plan.py: what an update replaces, modifies in place, adds or removes.

The replacement rules come from the pinned CDK CLI's own resource specification, so these tests
also pin what CloudFormation documents for the resource types the stacks use.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts.update_plan import (
    Action,
    CliDiffEntry,
    ReplacementRules,
    UpdatePlan,
    disagreements_with_cli,
    parse_cdk_diff,
    plan_update,
    references,
)
from tests.synth import SynthesizedApp


@pytest.fixture(scope="module")
def rules() -> ReplacementRules:
    return ReplacementRules.from_spec_database()


def logical_id_of(template: dict[str, Any], resource_type: str) -> str:
    (logical_id,) = [
        key for key, value in template["Resources"].items() if value["Type"] == resource_type
    ]
    return str(logical_id)


def actions(plan: UpdatePlan) -> dict[str, Action]:
    return {change.resource_type: change.action for change in plan.changes}


def test_spec_rules_for_the_stacks_resource_types(rules: ReplacementRules) -> None:
    assert rules.of("AWS::SageMaker::EndpointConfig", "ProductionVariants") == "yes"
    assert rules.of("AWS::SageMaker::Model", "PrimaryContainer") == "yes"
    assert rules.of("AWS::SageMaker::Endpoint", "EndpointName") == "yes"
    assert rules.of("AWS::SageMaker::Endpoint", "EndpointConfigName") == "no"
    assert rules.of("AWS::SageMaker::Endpoint", "DeploymentConfig") == "no"
    assert rules.of("AWS::SageMaker::Endpoint", "Tags") == "no"
    assert rules.of("AWS::KMS::Key", "KeyPolicy") == "no"
    assert rules.of("AWS::CloudWatch::Alarm", "AlarmName") == "yes"
    assert rules.of("AWS::Made::Up", "Anything") == "maybe"
    assert rules.of("AWS::SageMaker::Endpoint", "NotAProperty") == "maybe"


def test_memory_change_replaces_the_config_and_updates_the_endpoint_in_place(
    regional_app: SynthesizedApp, rules: ReplacementRules
) -> None:
    old = regional_app.template("dev")
    new = copy.deepcopy(old)
    config_id = logical_id_of(new, "AWS::SageMaker::EndpointConfig")
    new["Resources"][config_id]["Properties"]["ProductionVariants"][0]["ServerlessConfig"][
        "MemorySizeInMB"
    ] = 3072

    plan = plan_update(old, new, rules)

    assert actions(plan) == {
        "AWS::SageMaker::EndpointConfig": Action.REPLACE,
        "AWS::SageMaker::Endpoint": Action.MODIFY,
    }
    (endpoint,) = plan.with_action(Action.MODIFY)
    assert endpoint.properties == ("EndpointConfigName",)
    assert config_id in endpoint.reasons[0]
    assert plan.endpoint_downtime == ()


def test_replacement_propagates_through_references(
    regional_app: SynthesizedApp, rules: ReplacementRules
) -> None:
    old = regional_app.template("dev")
    new = copy.deepcopy(old)
    model_id = logical_id_of(new, "AWS::SageMaker::Model")
    new["Resources"][model_id]["Properties"]["PrimaryContainer"]["Image"] = "other:1"

    plan = plan_update(old, new, rules)

    # Model (changed) -> EndpointConfig (ModelName of a replaced model) -> Endpoint (config name)
    assert actions(plan) == {
        "AWS::SageMaker::Model": Action.REPLACE,
        "AWS::SageMaker::EndpointConfig": Action.REPLACE,
        "AWS::SageMaker::Endpoint": Action.MODIFY,
    }
    assert plan.endpoint_downtime == ()


def test_endpoint_name_change_is_endpoint_replacement_downtime(
    regional_app: SynthesizedApp, rules: ReplacementRules
) -> None:
    old = regional_app.template("dev")
    new = copy.deepcopy(old)
    endpoint_id = logical_id_of(new, "AWS::SageMaker::Endpoint")
    new["Resources"][endpoint_id]["Properties"]["EndpointName"] = "renamed"

    plan = plan_update(old, new, rules)

    assert [change.logical_id for change in plan.endpoint_downtime] == [endpoint_id]
    assert plan.endpoint_downtime[0].action is Action.REPLACE


def test_tags_only_change_is_in_place(
    regional_app: SynthesizedApp, rules: ReplacementRules
) -> None:
    old = regional_app.template("dev")
    new = copy.deepcopy(old)
    endpoint_id = logical_id_of(new, "AWS::SageMaker::Endpoint")
    new["Resources"][endpoint_id]["Properties"]["Tags"].append({"Key": "k", "Value": "v"})

    plan = plan_update(old, new, rules)

    assert actions(plan) == {"AWS::SageMaker::Endpoint": Action.MODIFY}


def resource(resource_type: str, **properties: Any) -> dict[str, Any]:
    return {"Type": resource_type, "Properties": properties}


def test_unknown_types_and_properties_may_be_replaced(rules: ReplacementRules) -> None:
    old = {
        "Resources": {
            "Thing": resource("AWS::Made::Up", Size=1),
            "Endpoint": resource("AWS::SageMaker::Endpoint", EndpointConfigName="c", Odd=1),
        }
    }
    new = copy.deepcopy(old)
    new["Resources"]["Thing"]["Properties"]["Size"] = 2
    new["Resources"]["Endpoint"]["Properties"]["Odd"] = 2

    plan = plan_update(old, new, rules)

    assert actions(plan) == {
        "AWS::Made::Up": Action.MAY_REPLACE,
        "AWS::SageMaker::Endpoint": Action.MAY_REPLACE,
    }
    assert [change.logical_id for change in plan.endpoint_downtime] == ["Endpoint"]


def test_added_removed_and_retyped_resources(rules: ReplacementRules) -> None:
    old = {
        "Resources": {
            "Gone": resource("AWS::SNS::Topic"),
            "Endpoint": resource("AWS::SageMaker::Endpoint", EndpointConfigName="c"),
            "Retyped": resource("AWS::SNS::Topic"),
        }
    }
    new = {
        "Resources": {
            "New": resource("AWS::KMS::Key"),
            "Retyped": resource("AWS::SQS::Queue"),
        }
    }

    plan = plan_update(old, new, rules)

    by_id = {change.logical_id: change.action for change in plan.changes}
    assert by_id == {
        "Gone": Action.REMOVE,
        "Endpoint": Action.REMOVE,
        "New": Action.ADD,
        "Retyped": Action.REPLACE,
    }
    # Deleting the endpoint stops traffic as surely as replacing it.
    assert [change.logical_id for change in plan.endpoint_downtime] == ["Endpoint"]


def test_metadata_is_inert_and_policies_change_in_place(rules: ReplacementRules) -> None:
    old = {"Resources": {"Key": resource("AWS::KMS::Key", Enabled=True)}}
    new = copy.deepcopy(old)
    new["Resources"]["Key"]["Metadata"] = {"aws:cdk:path": "Stack/Key"}
    new["Resources"]["Key"]["DependsOn"] = ["Other"]
    assert plan_update(old, new, rules).changes == ()

    new["Resources"]["Key"]["DeletionPolicy"] = "Retain"
    (change,) = plan_update(old, new, rules).changes
    assert change.action is Action.MODIFY
    assert change.properties == ("DeletionPolicy",)


@pytest.mark.parametrize(
    "reference",
    [
        {"Ref": "Topic"},
        {"Fn::GetAtt": ["Topic", "TopicArn"]},
        {"Fn::GetAtt": "Topic.TopicArn"},
        {"Fn::Sub": "arn-of-${Topic.TopicArn}-x"},
        {"Fn::Sub": ["${Arn}", {"Arn": {"Ref": "Topic"}}]},
        {"Fn::Join": ["", ["prefix-", {"Ref": "Topic"}]]},
    ],
)
def test_every_reference_form_follows_a_replacement(
    rules: ReplacementRules, reference: dict[str, Any]
) -> None:
    assert "Topic" in references(reference)
    old = {
        "Resources": {
            "Topic": resource("AWS::SNS::Topic", TopicName="a"),
            "Alarm": resource("AWS::CloudWatch::Alarm", AlarmActions=[reference]),
            "Subscription": resource("AWS::SNS::Subscription", TopicArn=reference),
        }
    }
    new = copy.deepcopy(old)
    new["Resources"]["Topic"]["Properties"]["TopicName"] = "b"

    plan = plan_update(old, new, rules)

    assert {change.logical_id: change.action for change in plan.changes} == {
        "Topic": Action.REPLACE,
        "Alarm": Action.MODIFY,  # AlarmActions updates in place
        "Subscription": Action.REPLACE,  # TopicArn requires replacement
    }


def test_references_ignore_parameters_and_literal_dollar_braces() -> None:
    assert references({"Fn::Sub": "${!Literal} ${AWS::Region}"}) == set()
    assert references({"Ref": "AWS::AccountId"}) == {"AWS::AccountId"}
    assert references("plain") == set()


YELLOW, RED, RESET = "\x1b[33m", "\x1b[31m", "\x1b[39m"
CLI_DIFF = f"""\
Stack SageMakerServerless-dev (aws://123456789012/us-east-1)
Resources
{YELLOW}[~]{RESET} AWS::SageMaker::EndpointConfig Endpoint/EndpointConfig \
EndpointEndpointConfig5871F635 {RED}replace{RESET}
 └─ [~] ProductionVariants (requires replacement)
     └─ @@ -9,7 +9,7 @@
        [-]     "MemorySizeInMB": 2048
        [+]     "MemorySizeInMB": 3072
[+] AWS::SNS::Topic Alarms/Topic AlarmsTopic12345
[-] AWS::KMS::Key Key Key99 orphan
[~] AWS::SageMaker::Endpoint Endpoint/Endpoint Endpoint8024A810 may be replaced
[~] AWS::IAM::Role Role Role1
Outputs
[~] Output EndpointName: {{"Value":"x"}}

✨  Number of stacks with differences: 1
"""


def test_parse_cdk_diff_reads_resource_lines_only() -> None:
    config_type = "AWS::SageMaker::EndpointConfig"
    assert parse_cdk_diff(CLI_DIFF) == (
        CliDiffEntry("EndpointEndpointConfig5871F635", config_type, "~", "replace"),
        CliDiffEntry("AlarmsTopic12345", "AWS::SNS::Topic", "+", None),
        CliDiffEntry("Key99", "AWS::KMS::Key", "-", "orphan"),
        CliDiffEntry("Endpoint8024A810", "AWS::SageMaker::Endpoint", "~", "may be replaced"),
        CliDiffEntry("Role1", "AWS::IAM::Role", "~", None),
    )  # fmt: skip


def test_disagreements_with_cli() -> None:
    config = CliDiffEntry("Config", "AWS::SageMaker::EndpointConfig", "~", "replace")
    endpoint = CliDiffEntry("Endpoint", "AWS::SageMaker::Endpoint", "~", None)
    agreeing = UpdatePlan(
        changes=(
            plan_change("Config", Action.REPLACE),
            plan_change("Endpoint", Action.MODIFY),
            plan_change("Follower", Action.MODIFY),  # the plan may see more than cdk diff
        )
    )
    assert disagreements_with_cli(agreeing, [config, endpoint]) == []

    understated = UpdatePlan(changes=(plan_change("Config", Action.MODIFY),))
    problems = disagreements_with_cli(understated, [config, endpoint])
    assert problems == [
        "cdk diff says Config replace; the plan says modify",
        "cdk diff shows Endpoint changed; the plan does not",
    ]
    added = CliDiffEntry("Topic", "AWS::SNS::Topic", "+", None)
    wrong_kind = UpdatePlan(changes=(plan_change("Topic", Action.MODIFY),))
    assert disagreements_with_cli(wrong_kind, [added]) == [
        "cdk diff shows [+] Topic; the plan says modify"
    ]


def plan_change(logical_id: str, action: Action) -> Any:
    from scripts.update_plan import ResourceChange

    return ResourceChange(logical_id, "AWS::Any::Thing", action)
