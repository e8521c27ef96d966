"""Placeholders for the resource types moto's CloudFormation lacks (the moto server's side).

moto's CloudFormation skips a resource type it does not implement (AWS::CloudWatch::Alarm,
AWS::SNS::Subscription, ...), and then rejects the whole template
when another resource reads an attribute of the skipped one ("Template error: instance of
Fn::GetAtt references undefined resource Alarm", e.g. a dashboard's alarm widget). Here such a
type gets a placeholder instead: it creates nothing, answers ``Ref`` with a generated name and
``Fn::GetAtt`` with a made-up ARN, and logs one ``PLACEHOLDER_MARKER`` line per type, which the
rehearsal reports as the expected emulator note ``not-emulated``. Types moto implements are
untouched, and so are the ones the rehearsal emulates (moto_autoscaling.RESOURCE_CLASSES, once
installed). moto_patches.install() puts ``resource_class_from_type`` in place.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

from scripts.rehearsal import moto_autoscaling
from scripts.rehearsal.moto_patches import PLACEHOLDER_MARKER, announce


class Placeholder(CloudFormationModel):
    """Stands in for one resource of a type moto's CloudFormation does not implement."""

    # moto files every model class under the second part of its module name (no "__main__").
    __module__ = "scripts.rehearsal.moto_placeholders"

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
    if resource_type in moto_autoscaling.RESOURCE_CLASSES:  # emulated: see moto_autoscaling.py
        return moto_autoscaling.RESOURCE_CLASSES[resource_type]
    announce(PLACEHOLDER_MARKER, resource_type)
    return Placeholder
