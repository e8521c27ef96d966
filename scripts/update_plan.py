"""What a CloudFormation stack update does to each resource: add, remove, replace, or modify.

Computed from two templates (the deployed one and the new one), with the replacement rules of the
pinned CDK CLI's own resource specification (``node_modules/aws-cdk/db.json.gz``: for every
resource type and top-level property, whether a change causes replacement: yes, maybe or no; the
database ``cdk diff`` itself uses). On top of what ``cdk diff`` shows, the plan follows references
the way CloudFormation does: a resource that reads a replaced resource (``Ref``, ``Fn::GetAtt``,
``Fn::Sub``) gets a new value for that property, so it is modified too, or replaced in turn when
that property requires replacement. That is how a changed memory size replaces the
``AWS::SageMaker::EndpointConfig`` and then updates the ``AWS::SageMaker::Endpoint`` in place.

Semantics kept deliberately conservative: an unknown resource type or property "may be replaced";
only the top-level property decides (as in CloudFormation's documentation and in ``cdk diff``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPEC_DATABASE = PROJECT_ROOT / "node_modules" / "aws-cdk" / "db.json.gz"
ENDPOINT_TYPE = "AWS::SageMaker::Endpoint"
# Template keys of a resource that change no resource when they change (CloudFormation only
# records them), and the ones that change only what CloudFormation does on delete/replace.
_INERT_KEYS = frozenset({"Metadata", "DependsOn"})
_POLICY_KEYS = ("DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy", "CreationPolicy")
_SUB_REFERENCE = re.compile(r"\$\{(?!!)([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


class Action(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"
    MAY_REPLACE = "may-replace"
    MODIFY = "modify"


class Replacement(StrEnum):
    """What a change of one property does, as the resource specification says."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


@dataclass(frozen=True)
class ReplacementRules:
    """Per resource type: the top-level properties whose change replaces (or may replace) it."""

    types: Mapping[str, Mapping[str, Replacement]]

    def of(self, resource_type: str, property_name: str) -> Replacement:
        properties = self.types.get(resource_type)
        if properties is None or property_name not in properties:
            return Replacement.MAYBE  # not in the specification: assume the worst
        return properties[property_name]

    @classmethod
    def from_spec_database(cls, path: Path = SPEC_DATABASE) -> ReplacementRules:
        """Read the CDK CLI's resource specification (raises OSError if it is missing)."""
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            database = json.load(stream)
        types: dict[str, dict[str, Replacement]] = {}
        for resource in database["schema"]["resource"]["entities"]:
            types[resource["cloudFormationType"]] = {
                name: Replacement(spec.get("causesReplacement") or "no")
                for name, spec in resource.get("properties", {}).items()
            }
        return cls(types=types)


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    resource_type: str
    action: Action
    properties: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "logical_id": self.logical_id,
            "type": self.resource_type,
            "action": self.action.value,
            "properties": list(self.properties),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class UpdatePlan:
    changes: tuple[ResourceChange, ...]

    def with_action(self, *actions: Action) -> tuple[ResourceChange, ...]:
        return tuple(change for change in self.changes if change.action in actions)

    @property
    def replaced(self) -> tuple[ResourceChange, ...]:
        """Resources that are, or may be, deleted and created anew."""
        return self.with_action(Action.REPLACE, Action.MAY_REPLACE)

    @property
    def endpoint_downtime(self) -> tuple[ResourceChange, ...]:
        """Endpoint resources the update replaces, may replace, or deletes: traffic stops."""
        return tuple(
            change
            for change in self.with_action(Action.REPLACE, Action.MAY_REPLACE, Action.REMOVE)
            if change.resource_type == ENDPOINT_TYPE
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [change.to_json() for change in self.changes]


def plan_update(
    old_template: Mapping[str, Any], new_template: Mapping[str, Any], rules: ReplacementRules
) -> UpdatePlan:
    """Each resource the update from ``old_template`` to ``new_template`` touches."""
    old_resources: Mapping[str, Any] = old_template.get("Resources") or {}
    new_resources: Mapping[str, Any] = new_template.get("Resources") or {}
    replaced: dict[str, ResourceChange] = {}
    # A replacement can make a referencing resource a replacement too: repeat until stable.
    while True:
        changes = [
            change
            for logical_id in sorted(old_resources.keys() & new_resources.keys())
            if (
                change := _compare_resource(
                    logical_id,
                    old_resources[logical_id],
                    new_resources[logical_id],
                    replaced.keys(),
                    rules,
                )
            )
            is not None
        ]
        newly_replaced = {
            change.logical_id: change
            for change in changes
            if change.action in (Action.REPLACE, Action.MAY_REPLACE)
        }
        if newly_replaced.keys() == replaced.keys():
            break
        replaced = newly_replaced
    changes += [
        ResourceChange(logical_id, _type(old_resources[logical_id]), Action.REMOVE)
        for logical_id in sorted(old_resources.keys() - new_resources.keys())
    ]
    changes += [
        ResourceChange(logical_id, _type(new_resources[logical_id]), Action.ADD)
        for logical_id in sorted(new_resources.keys() - old_resources.keys())
    ]
    return UpdatePlan(changes=tuple(changes))


def _type(resource: Mapping[str, Any]) -> str:
    return str(resource.get("Type", "?"))


def _compare_resource(
    logical_id: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    replaced_ids: Iterable[str],
    rules: ReplacementRules,
) -> ResourceChange | None:
    resource_type = _type(new)
    if _type(old) != resource_type:
        return ResourceChange(
            logical_id,
            resource_type,
            Action.REPLACE,
            ("Type",),
            (f"type changes from {_type(old)} to {resource_type}",),
        )
    replaced_ids = frozenset(replaced_ids)
    old_properties: Mapping[str, Any] = old.get("Properties") or {}
    new_properties: Mapping[str, Any] = new.get("Properties") or {}
    changed: list[str] = []
    reasons: list[str] = []
    verdicts: set[Replacement] = set()
    for name in sorted(old_properties.keys() | new_properties.keys()):
        new_value = new_properties.get(name)
        marked = _mark_replaced_references(new_value, replaced_ids)
        if marked == old_properties.get(name):
            continue
        changed.append(name)
        verdict = rules.of(resource_type, name)
        verdicts.add(verdict)
        via = sorted(references(new_value) & replaced_ids)
        cause = f" (new value from replaced {', '.join(via)})" if via else ""
        effect = {
            Replacement.YES: "requires replacement",
            Replacement.MAYBE: "may require replacement",
            Replacement.NO: "updates in place",
        }[verdict]
        reasons.append(f"{name} {effect}{cause}")
    for key in _POLICY_KEYS:
        if old.get(key) != new.get(key):
            changed.append(key)
            reasons.append(f"{key} changes (no resource update)")
    if not changed:
        return None
    action = (
        Action.REPLACE
        if Replacement.YES in verdicts
        else Action.MAY_REPLACE
        if Replacement.MAYBE in verdicts
        else Action.MODIFY
    )
    return ResourceChange(logical_id, resource_type, action, tuple(changed), tuple(reasons))


def references(value: Any) -> set[str]:
    """The logical ids ``value`` reads through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        elif set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
        elif set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            found |= {match.group(1) for match in _SUB_REFERENCE.finditer(str(text))}
        for item in value.values():
            found |= references(item)
    return found


def _mark_replaced_references(value: Any, replaced_ids: frozenset[str]) -> Any:
    """``value`` with every read of a replaced resource turned into a new, unknown value."""
    if not replaced_ids:
        return value
    if isinstance(value, list):
        return [_mark_replaced_references(item, replaced_ids) for item in value]
    if not isinstance(value, dict):
        return value
    if references(value) & replaced_ids and (set(value) in ({"Ref"}, {"Fn::GetAtt"}, {"Fn::Sub"})):
        return {"(value after replacement)": value}
    return {key: _mark_replaced_references(item, replaced_ids) for key, item in value.items()}


# `cdk diff` prints one header line per changed resource, e.g.
# [~] AWS::SageMaker::EndpointConfig Endpoint/EndpointConfig EndpointEndpointConfig5871F635 replace
# (sign, type, construct path when known, logical id, impact when it is not a plain update).
_DIFF_HEADER = re.compile(r"^\[(?P<sign>[-+~])\] (?P<type>\w+::\w+::\w+) ")
_IMPACTS = ("may be replaced", "replace", "destroy", "orphan")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class CliDiffEntry:
    logical_id: str
    resource_type: str
    sign: str
    impact: str | None


def parse_cdk_diff(text: str) -> tuple[CliDiffEntry, ...]:
    """The resource lines of ``cdk diff`` output (colours stripped)."""
    entries: list[CliDiffEntry] = []
    for raw_line in _ANSI.sub("", text).splitlines():
        line = raw_line.strip()
        match = _DIFF_HEADER.match(line)
        if not match:
            continue
        rest = line[match.end() :].strip()
        impact = next((i for i in _IMPACTS if rest == i or rest.endswith(f" {i}")), None)
        if impact:
            rest = rest[: -len(impact)].strip()
        if not rest:
            continue
        entries.append(
            CliDiffEntry(
                logical_id=rest.split()[-1],
                resource_type=match["type"],
                sign=match["sign"],
                impact=impact,
            )
        )
    return tuple(entries)


def disagreements_with_cli(plan: UpdatePlan, cli: Iterable[CliDiffEntry]) -> list[str]:
    """Where ``cdk diff`` sees a change the plan does not (the plan may see more: it follows
    references to replaced resources, which ``cdk diff`` does not)."""
    by_id = {change.logical_id: change for change in plan.changes}
    problems: list[str] = []
    expected = {"+": (Action.ADD,), "-": (Action.REMOVE,)}
    for entry in cli:
        change = by_id.get(entry.logical_id)
        if change is None:
            problems.append(f"cdk diff shows {entry.logical_id} changed; the plan does not")
            continue
        if entry.sign in expected and change.action not in expected[entry.sign]:
            problems.append(
                f"cdk diff shows [{entry.sign}] {entry.logical_id}; the plan says {change.action}"
            )
        replace_actions = (Action.REPLACE, Action.MAY_REPLACE)
        if entry.impact in ("replace", "may be replaced") and change.action not in replace_actions:
            problems.append(
                f"cdk diff says {entry.logical_id} {entry.impact}; the plan says {change.action}"
            )
    return problems
