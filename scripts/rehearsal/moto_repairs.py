"""Two repairs of moto 5.2.5: the rehearsal's moto server installs them (moto_patches.PATCHES),
and the drift tests in process.

The live-configuration check (drift.py) needs an endpoint to change behind CloudFormation's back,
and CloudFormation's own updates to reach the endpoint. moto 5.2.5 does neither:

- ``update-endpoint``: SageMaker's UpdateEndpoint, the call that points an endpoint at another
  endpoint config (by hand, or what a rollback leaves), is not implemented: moto answers
  ``NotImplementedError: The update_endpoint action has not been implemented``.
  ``install_update_endpoint()`` adds it: the endpoint takes the new config at once and is
  InService, as SageMaker leaves it once an update completes (EndpointConfigName, and each
  variant's weight and Current/DesiredServerlessConfig from the new config).
- ``endpoint-config-propagation``: a stack update that replaces an AWS::SageMaker::EndpointConfig
  (any change to it replaces it) leaves the AWS::SageMaker::Endpoint on the old, deleted config:
  moto updates only resources whose template text changed, and the endpoint's
  ``EndpointConfigName: {"Fn::GetAtt": [...]}`` did not, although its value did (CloudFormation
  updates the endpoint in place). The live-configuration check rightly calls that drift.
  ``install_endpoint_config_propagation()`` makes moto's stack update point each such endpoint
  at its config's new name, as CloudFormation does.

``install()`` applies both, in-process (tests, under ``mock_aws``) or in a moto server process
(call it before moto's server starts); it is idempotent, and ``uninstall()`` restores moto.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

ENDPOINT_TYPE = "AWS::SageMaker::Endpoint"
_ORIGINALS: dict[str, tuple[Any, str, Any]] = {}  # repair -> (class, attribute, moto's value)


# Called as on_act(repair, endpoint name) when a repair changes what moto does: the rehearsal's
# server logs it, and the run's summary notes it (moto_patches.py).
def _ignore(repair: str, endpoint_name: str) -> None:
    del repair, endpoint_name


on_act: Callable[[str, str], None] = _ignore


def _patch(repair: str, owner: Any, attribute: str, value: Any) -> None:
    _ORIGINALS[repair] = (owner, attribute, owner.__dict__.get(attribute))
    setattr(owner, attribute, value)


def update_endpoint(backend: Any, *, endpoint_name: str, endpoint_config_name: str) -> Any:
    """What UpdateEndpoint leaves once the update completed; moto's ValidationException for an
    unknown endpoint or endpoint config, as SageMaker answers."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpoint

    endpoint = backend.endpoints.get(endpoint_name)
    if endpoint is None:
        arn = FakeEndpoint.arn_formatter(endpoint_name, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    config = backend.describe_endpoint_config(endpoint_config_name)  # ValidationError if absent
    endpoint.endpoint_config_name = endpoint_config_name
    # Copies: moto shares one dict between a config and its endpoints' Current/Desired configs.
    endpoint.production_variants = endpoint._process_production_variants(
        copy.deepcopy(config["ProductionVariants"])
    )
    endpoint.endpoint_status = "InService"
    return endpoint


def install_update_endpoint() -> None:
    """SageMaker UpdateEndpoint for moto (its backend and its API)."""
    if "update-endpoint" in _ORIGINALS:
        return
    from moto.core.responses import ActionResult
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    def backend_update_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str) -> Any:
        return update_endpoint(
            self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name
        )

    def response_update_endpoint(self: Any) -> Any:
        endpoint = self.sagemaker_backend.update_endpoint(
            self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        )
        on_act("update-endpoint", endpoint.endpoint_name)
        return ActionResult({"EndpointArn": endpoint.arn})

    _patch("update-endpoint-api", SageMakerResponse, "update_endpoint", response_update_endpoint)
    _patch("update-endpoint", SageMakerModelBackend, "update_endpoint", backend_update_endpoint)


def install_endpoint_config_propagation() -> None:
    """moto's stack update follows an endpoint's EndpointConfigName to its new value."""
    if "endpoint-config-propagation" in _ORIGINALS:
        return
    from moto.cloudformation import parsing
    from moto.sagemaker.models import sagemaker_backends

    install_update_endpoint()
    moto_update = parsing.ResourceMap.update

    def update(self: Any, template: dict[str, Any], parameters: Any = None) -> None:
        moto_update(self, template, parameters)
        for logical_id, resource_json in self._resource_json_map.items():
            endpoint = self._parsed_resources.get(logical_id)
            if resource_json.get("Type") != ENDPOINT_TYPE or not hasattr(
                endpoint, "endpoint_config_name"
            ):
                continue
            properties = resource_json.get("Properties") or {}
            wanted = parsing.clean_json(properties.get("EndpointConfigName"), self)
            if isinstance(wanted, str) and wanted != endpoint.endpoint_config_name:
                backend = sagemaker_backends[self._account_id][self._region_name]
                update_endpoint(
                    backend,
                    endpoint_name=endpoint.endpoint_name,
                    endpoint_config_name=wanted,
                )
                on_act("endpoint-config-propagation", endpoint.endpoint_name)

    _patch("endpoint-config-propagation", parsing.ResourceMap, "update", update)


def install() -> None:
    install_update_endpoint()
    install_endpoint_config_propagation()


def uninstall() -> None:
    """moto as it was before ``install()``."""
    for owner, attribute, original in reversed(list(_ORIGINALS.values())):
        if original is None:
            delattr(owner, attribute)
        else:
            setattr(owner, attribute, original)
    _ORIGINALS.clear()
