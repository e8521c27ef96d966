"""What the rehearsal's moto server changes in moto, each change with the named note it brings in.

    python -m scripts.rehearsal_moto -H 127.0.0.1 -p 5000     # main(); moto_server's arguments

Before the server starts, ``install()`` makes two kinds of change, never to a template:

- placeholders (moto_placeholders.py) for the resource types moto's CloudFormation lacks; each
  type is logged once after ``PLACEHOLDER_MARKER``, and the deploy checks note it as
  ``not-emulated`` for the stacks that hold it (checks.check_deployed_stack);
- every patch in ``PATCHES``: a repair of one thing moto gets wrong. A patch logs its marker
  through ``announce()`` when it acts; the rehearsal reads the server's log after each stack's
  ``cdk deploy`` and once more at the end of the run (StepRunner.note_emulator_patches) and lists
  the note of every patch that acted in the summary (the text: notes.NOTES[patch.note]).

To add a patch: write its install function here (import moto inside it), call
``announce(MARKER)`` (or ``announce(MARKER, detail)``: the detail is listed under the note) where
it changes what moto does, add ``EmulatorPatch(note=..., marker=..., install=...)`` to
``PATCHES`` and the note's text to notes.NOTES (a test checks that every patch has one).

moto is imported only inside the functions the server runs: the rehearsal imports this module
for the markers without paying moto's import (about 2 s).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PLACEHOLDER_MARKER = "rehearsal placeholder for unsupported type"
KMS_TAGS_MARKER = "rehearsal repair: KMS key tags converted for moto"
UPDATE_ENDPOINT_MARKER = "rehearsal repair: SageMaker UpdateEndpoint emulated for"
PROPAGATION_MARKER = "rehearsal repair: endpoint moved to its replaced EndpointConfig:"
AUTOSCALING_MARKER = "rehearsal emulation: Application Auto Scaling in moto's CloudFormation:"
TERMINATION_MARKER = "rehearsal emulation: CloudFormation termination protection:"
RENAME_MARKER = "rehearsal repair: endpoint replaced for its new EndpointName:"
MANAGED_POLICY_UPDATE_MARKER = "rehearsal repair: managed policy updated with a new version:"
MODEL_PROPAGATION_MARKER = "rehearsal repair: endpoint config moved to its replaced Model:"
_announced: set[str] = set()


@dataclass(frozen=True)
class EmulatorPatch:
    """One repair of moto, made in the server process before it starts."""

    note: str  # the key of its note in notes.NOTES, listed in the summary once it acted
    marker: str  # the line the server logs (announce) when the patch acts
    install: Callable[[], None]


def announce(marker: str, detail: str = "") -> None:
    """Log that a patch acted, once per marker and detail (the rehearsal reads the log)."""
    line = f"{marker} {detail}" if detail else marker
    if line not in _announced:
        _announced.add(line)
        print(line, file=sys.stderr, flush=True)


def install_kms_tags_repair() -> None:
    """moto's CloudFormation hands an AWS::KMS::Key's Tags to KMS in CloudFormation's shape
    ({Key, Value}) where its KMS expects {TagKey, TagValue}, and fails with KeyError 'TagKey':
    convert them."""
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
            announce(KMS_TAGS_MARKER)
        result: Key = create(cls, *args, **kwargs)
        return result

    Key.create_from_cloudformation_json = classmethod(create_with_kms_tags)  # type: ignore[assignment,method-assign]


def install_endpoint_repairs() -> None:
    """UpdateEndpoint, and stack updates that move an endpoint to its replaced config
    (moto_repairs.py), each announced when it acts."""
    from scripts.rehearsal import moto_repairs

    markers = {
        "update-endpoint": UPDATE_ENDPOINT_MARKER,
        "endpoint-config-propagation": PROPAGATION_MARKER,
    }
    moto_repairs.on_act = lambda repair, endpoint: announce(markers[repair], endpoint)
    moto_repairs.install()


def install_registry_repairs() -> None:
    """What the registry scenario's update needs (moto_registry.py): a changed managed policy
    document becomes a new default version; an endpoint config follows its replaced Model."""
    from scripts.rehearsal import moto_registry

    moto_registry.install_managed_policy_update(
        lambda name: announce(MANAGED_POLICY_UPDATE_MARKER, name)
    )
    moto_registry.install_model_propagation(lambda name: announce(MODEL_PROPAGATION_MARKER, name))


def install_autoscaling_emulation() -> None:
    """AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy in moto's CloudFormation,
    and the serverless provisioned-concurrency dimension (moto_autoscaling.py); announced with
    what each call created."""
    from scripts.rehearsal import moto_autoscaling

    labels = {
        moto_autoscaling.SCALABLE_TARGET_TYPE: "ScalableTarget registered:",
        moto_autoscaling.SCALING_POLICY_TYPE: "ScalingPolicy put:",
        "dimension": "dimension accepted:",
    }
    moto_autoscaling.on_act = lambda what, detail: announce(
        AUTOSCALING_MARKER, f"{labels[what]} {detail}"
    )
    moto_autoscaling.install()


def install_termination_protection() -> None:
    """moto 5.2.5 stores EnableTerminationProtection from CreateStack and reports it, but has no
    UpdateTerminationProtection (the CDK CLI calls it after deploying a protected stack) and
    deletes a protected stack. Add the call, and refuse the delete with CloudFormation's error."""
    from moto.cloudformation import models, responses
    from moto.cloudformation.exceptions import ValidationError
    from moto.core.responses import ActionResult

    def update_termination_protection(self: Any) -> ActionResult:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        enabled = str(self._get_param("EnableTerminationProtection")).lower() == "true"
        stack.enable_termination_protection = enabled
        announce(TERMINATION_MARKER, f"{stack.name} set to {enabled}")
        return ActionResult({"StackId": stack.stack_id})

    responses.CloudFormationResponse.update_termination_protection = (  # type: ignore[attr-defined]
        update_termination_protection
    )
    delete = models.CloudFormationBackend.delete_stack

    def delete_unless_protected(self: Any, name_or_stack_id: str) -> None:
        stack = next(
            (s for s in self.stacks.values() if name_or_stack_id in (s.stack_id, s.name)), None
        )
        if stack is not None and stack.enable_termination_protection:
            announce(TERMINATION_MARKER, f"delete of {stack.name} refused")
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection "
                "is enabled"
            )
        delete(self, name_or_stack_id)

    models.CloudFormationBackend.delete_stack = delete_unless_protected  # type: ignore[method-assign]


def install_endpoint_rename_repair() -> None:
    """moto updates an AWS::SageMaker::Endpoint whose EndpointName changed by deleting it and
    creating it again under the same name; CloudFormation replaces it: a new endpoint, then the
    old one deleted. Do that (under moto's own generated name for the new one, as moto names
    every endpoint; note endpoint-name)."""
    from moto.sagemaker.models import FakeEndpoint

    create = FakeEndpoint.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    update = FakeEndpoint.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_remembering_name(cls: Any, *args: Any, **kwargs: Any) -> Any:
        endpoint = create(cls, *args, **kwargs)
        cloudformation_json = args[1] if len(args) > 1 else kwargs["cloudformation_json"]
        properties = cloudformation_json.get("Properties") or {}
        endpoint.rehearsal_template_name = properties.get("EndpointName")
        return endpoint

    def update_replacing_on_rename(cls: Any, **kwargs: Any) -> Any:
        original = kwargs["original_resource"]
        properties = kwargs["cloudformation_json"].get("Properties") or {}
        wanted = properties.get("EndpointName")
        if wanted == getattr(original, "rehearsal_template_name", wanted):
            return update(cls, **kwargs)
        account, region = kwargs["account_id"], kwargs["region_name"]
        new = create_remembering_name(
            cls, kwargs["new_resource_name"], kwargs["cloudformation_json"], account, region
        )
        cls.delete_from_cloudformation_json(
            original.arn, kwargs["cloudformation_json"], account, region
        )
        announce(RENAME_MARKER, f"{original.endpoint_name} -> {new.endpoint_name}")
        return new

    FakeEndpoint.create_from_cloudformation_json = classmethod(create_remembering_name)  # type: ignore[method-assign,assignment]
    FakeEndpoint.update_from_cloudformation_json = classmethod(update_replacing_on_rename)  # type: ignore[method-assign,assignment,arg-type]


def _no_install() -> None:
    """Installed together with its sibling (install_endpoint_repairs)."""


PATCHES: tuple[EmulatorPatch, ...] = (
    EmulatorPatch(note="kms-key-tags", marker=KMS_TAGS_MARKER, install=install_kms_tags_repair),
    EmulatorPatch(
        note="update-endpoint", marker=UPDATE_ENDPOINT_MARKER, install=install_endpoint_repairs
    ),
    EmulatorPatch(
        note="endpoint-config-propagation", marker=PROPAGATION_MARKER, install=_no_install
    ),
    EmulatorPatch(
        note="autoscaling-emulated",
        marker=AUTOSCALING_MARKER,
        install=install_autoscaling_emulation,
    ),
    EmulatorPatch(
        note="endpoint-rename", marker=RENAME_MARKER, install=install_endpoint_rename_repair
    ),
    EmulatorPatch(
        note="termination-protection",
        marker=TERMINATION_MARKER,
        install=install_termination_protection,
    ),
    EmulatorPatch(
        note="managed-policy-update",
        marker=MANAGED_POLICY_UPDATE_MARKER,
        install=install_registry_repairs,
    ),
    EmulatorPatch(
        note="model-replacement-propagation", marker=MODEL_PROPAGATION_MARKER, install=_no_install
    ),
)


def install() -> None:
    """Make moto's CloudFormation use placeholders (module attribute: looked up per call), and
    install every patch."""
    from moto.cloudformation import parsing

    from scripts.rehearsal.moto_placeholders import resource_class_from_type

    parsing.resource_class_from_type = resource_class_from_type
    for patch in PATCHES:
        patch.install()


def main() -> None:
    from moto.server import main as moto_server_main

    install()
    moto_server_main()
