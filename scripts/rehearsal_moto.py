"""moto's server for the deploy rehearsal, with placeholders for resource types it lacks.

    python -m scripts.rehearsal_moto -H 127.0.0.1 -p 5000     # same arguments as moto_server

moto's CloudFormation skips a resource type it does not implement (AWS::CloudWatch::Alarm,
AWS::SNS::Subscription, AWS::ApplicationAutoScaling::*, ...), and then rejects the whole template
when another resource reads an attribute of the skipped one ("Template error: instance of
Fn::GetAtt references undefined resource Alarm", e.g. a dashboard's alarm widget). Here such a
type gets a placeholder instead: it creates nothing, answers ``Ref`` with a generated name and
``Fn::GetAtt`` with a made-up ARN, and logs one ``PLACEHOLDER_MARKER`` line per type, which
scripts/rehearse.py reports as an expected emulator note. Types moto implements are untouched,
with one repair: moto's CloudFormation hands an AWS::KMS::Key's Tags to KMS in CloudFormation's
shape ({Key, Value}) where its KMS expects {TagKey, TagValue}, and fails with KeyError 'TagKey';
the tags are converted, and ``KMS_TAGS_MARKER`` is logged for the summary's note.
"""

from __future__ import annotations

import sys
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.server import main as moto_server_main

PLACEHOLDER_MARKER = "rehearsal placeholder for unsupported type"
KMS_TAGS_MARKER = "rehearsal repair: KMS key tags converted for moto"
_announced: set[str] = set()


class Placeholder(CloudFormationModel):
    """Stands in for one resource of a type moto's CloudFormation does not implement."""

    # moto files every model class under the second part of its module name; run with -m,
    # this module is "__main__".
    __module__ = "scripts.rehearsal_moto"

    def __init__(self, *, name: str, resource_type: str, region_name: str, account_id: str):
        self.name = name
        self.resource_type = resource_type
        self.region_name = region_name
        self.account_id = account_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "Rehearsal::Placeholder::Resource"  # never matches a template's type

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        service = self.resource_type.split("::")[1].lower()
        return f"arn:aws:{service}:{self.region_name}:{self.account_id}:placeholder/{self.name}"

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Placeholder:
        return cls(
            name=resource_name,
            resource_type=str(kwargs.get("ResourceType", cloudformation_json.get("Type", "?"))),
            region_name=region_name,
            account_id=account_id,
        )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Placeholder,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Placeholder:
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        return None


_moto_resource_class = parsing.resource_class_from_type


def resource_class_from_type(resource_type: str) -> Any:
    """moto's class for ``resource_type``, or the placeholder for an AWS type it lacks."""
    if resource_type in parsing.NULL_MODELS or not resource_type.startswith("AWS::"):
        return _moto_resource_class(resource_type)
    if resource_type in parsing.get_model_map():
        return parsing.get_model_map()[resource_type]
    if resource_type not in _announced:
        _announced.add(resource_type)
        print(f"{PLACEHOLDER_MARKER} {resource_type}", file=sys.stderr, flush=True)
    return Placeholder


def _install_kms_tags_repair() -> None:
    from moto.kms.models import Key

    create = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_with_kms_tags(cls: type[Key], *args: Any, **kwargs: Any) -> Key:
        cloudformation_json = args[1] if len(args) > 1 else kwargs["cloudformation_json"]
        properties = cloudformation_json.get("Properties", {})
        tags = properties.get("Tags") or []
        if any("Key" in tag for tag in tags):
            properties["Tags"] = [
                {"TagKey": tag["Key"], "TagValue": tag["Value"]} if "Key" in tag else tag
                for tag in tags
            ]
            if "AWS::KMS::Key tags" not in _announced:
                _announced.add("AWS::KMS::Key tags")
                print(KMS_TAGS_MARKER, file=sys.stderr, flush=True)
        result: Key = create(cls, *args, **kwargs)
        return result

    Key.create_from_cloudformation_json = classmethod(create_with_kms_tags)  # type: ignore[assignment,method-assign]


def install() -> None:
    """Make moto's CloudFormation use placeholders (module attribute: looked up per call), and
    repair its KMS key tags."""
    parsing.resource_class_from_type = resource_class_from_type
    _install_kms_tags_repair()


def main() -> None:
    install()
    moto_server_main()


if __name__ == "__main__":
    main()
