"""Two repairs of moto for the registry scenario (registry.py), where a new model version changes
the execution policy's document and replaces the Model.

- ``managed-policy-update``: moto's ManagedPolicy has no ``update_from_cloudformation_json``, so
  a stack update that changes its document drops it from the stack (the policy stays in IAM with
  the old document). CloudFormation updates a managed policy in place with a new default policy
  version; so does ``install_managed_policy_update``.
- ``model-replacement-propagation``: moto updates only resources whose template text changed; an
  EndpointConfig's ``ModelName: {"Fn::GetAtt": [Model, ModelName]}`` did not when the Model was
  replaced, so the config keeps naming the deleted model. CloudFormation replaces the config
  (a new name); ``install_model_propagation`` points the config's variants at the new model
  instead (same name): enough for the endpoint to serve the model the stack says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ENDPOINT_CONFIG_TYPE = "AWS::SageMaker::EndpointConfig"


def install_managed_policy_update(on_act: Callable[[str], None]) -> None:
    """Give moto's ManagedPolicy the update; ``on_act(policy name)`` when it acts."""
    from moto.iam.models import ManagedPolicy

    def update(  # noqa: PLR0917 (moto calls it with these keywords)
        cls: type[ManagedPolicy],
        original_resource: ManagedPolicy,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> ManagedPolicy:
        document = json.dumps(cloudformation_json.get("Properties", {}).get("PolicyDocument"))
        backend = original_resource.backend
        versions = backend.list_policy_versions(original_resource.arn)
        if len(versions) >= 5:  # IAM keeps at most five versions; drop the oldest non-default
            oldest = next(v for v in versions if not v.is_default)
            backend.delete_policy_version(original_resource.arn, oldest.version_id)
        backend.create_policy_version(original_resource.arn, document, set_as_default=True)
        on_act(original_resource.name)
        return original_resource

    ManagedPolicy.update_from_cloudformation_json = classmethod(update)  # type: ignore[assignment,method-assign]


def install_model_propagation(on_act: Callable[[str], None]) -> None:
    """moto's stack update follows an endpoint config's ModelName to the replacing model;
    ``on_act(endpoint config name)`` when it acts."""
    from moto.cloudformation import parsing

    moto_update = parsing.ResourceMap.update

    def update(self: Any, template: dict[str, Any], parameters: Any = None) -> None:
        moto_update(self, template, parameters)
        for logical_id, resource_json in self._resource_json_map.items():
            config = self._parsed_resources.get(logical_id)
            if resource_json.get("Type") != ENDPOINT_CONFIG_TYPE or not hasattr(
                config, "production_variants"
            ):
                continue
            properties = resource_json.get("Properties") or {}
            wanted = parsing.clean_json(properties.get("ProductionVariants"), self) or []
            for live, want in zip(config.production_variants, wanted, strict=False):
                name = want.get("ModelName") if isinstance(want, dict) else None
                if isinstance(name, str) and live.get("ModelName") != name:
                    # moto shares this dict with the endpoints' current variants.
                    live["ModelName"] = name
                    on_act(config.endpoint_config_name)

    parsing.ResourceMap.update = update  # type: ignore[method-assign]
