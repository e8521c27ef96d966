"""Application Auto Scaling in moto's CloudFormation (the rehearsal's moto server, and tests).

moto 5.2.5 has an Application Auto Scaling backend but no CloudFormation resource for it, and its
validation knows the SageMaker dimension ``sagemaker:variant:DesiredInstanceCount`` only, not the
serverless ``sagemaker:variant:DesiredProvisionedConcurrency`` the construct scales (scaling.py).
``install()`` makes both work, in moto's own backend (``application-autoscaling`` reads them):

- AWS::ApplicationAutoScaling::ScalableTarget: RegisterScalableTarget, then PutScheduledAction
  for each of its ScheduledActions; an update re-registers it (min/max) and puts, or deletes, the
  scheduled actions that changed; a new ResourceId, ScalableDimension or ServiceNamespace
  replaces it; delete deregisters it with its scheduled actions and policies, as the service does.
  Ref (and GetAtt Id) is CloudFormation's ``<ResourceId>|<ScalableDimension>|<ServiceNamespace>``.
- AWS::ApplicationAutoScaling::ScalingPolicy: PutScalingPolicy, on the target named by
  ScalingTargetId (or ResourceId, ScalableDimension, ServiceNamespace); Ref and GetAtt Arn are
  its ARN; delete deletes it (nothing to do when its target's deregistration took it already).
- the dimension: moto's validation (models._target_params_are_valid, and the API's
  ``_validate_params``) accepts ``sagemaker:variant:DesiredProvisionedConcurrency`` for the
  ``sagemaker`` namespace and a ``endpoint/<name>/variant/<variant>`` resource id, and nothing
  else it did not accept before.

moto checks neither that the endpoint exists nor the role: the target's ResourceId names the
template's EndpointName, whereas moto names the endpoint itself (note ``endpoint-name``).
``on_act(what, detail)`` is called when a resource is created or the dimension accepted (the
server logs it: moto_patches.py). ``install()`` is idempotent; ``uninstall()`` restores moto.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCALABLE_TARGET_TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY_TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"
_TARGET_KEYS = ("ResourceId", "ScalableDimension", "ServiceNamespace")
_ORIGINALS: dict[str, tuple[Any, str, Any]] = {}
# The CloudFormation classes by type, once install() built them (moto_placeholders looks here).
RESOURCE_CLASSES: dict[str, Any] = {}


def _ignore(what: str, detail: str) -> None:
    del what, detail


on_act: Callable[[str, str], None] = _ignore


def _patch(name: str, owner: Any, attribute: str, value: Any) -> None:
    _ORIGINALS[name] = (owner, attribute, owner.__dict__.get(attribute))
    setattr(owner, attribute, value)


def is_provisioned_concurrency(namespace: Any, resource_id: Any, dimension: Any) -> bool:
    """The serverless variant dimension, on a SageMaker variant's resource id."""
    parts = resource_id.split("/") if isinstance(resource_id, str) else []
    return (
        dimension == PROVISIONED_CONCURRENCY
        and namespace == "sagemaker"
        and len(parts) == 4
        and parts[0] == "endpoint"
        and parts[2] == "variant"
        and all(parts)
    )


def target_id(resource_id: str, dimension: str, namespace: str) -> str:
    """CloudFormation's physical id of a scalable target."""
    return f"{resource_id}|{dimension}|{namespace}"


def _backend(account_id: str, region_name: str) -> Any:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    return applicationautoscaling_backends[account_id][region_name]


def _build_classes() -> tuple[type, ...]:
    """The two classes. Not subclasses of moto's CloudFormationModel, which moto would find
    (``CloudFormationModel.__subclasses__()``, cached) and keep using after ``uninstall()``:
    moto's CloudFormation reaches them only through the rehearsal's resource_class_from_type
    (moto_placeholders.py), and only calls these methods."""

    class EmulatedResource:
        """What moto's CloudFormation calls on every resource: one attribute, by name."""

        RESOURCE_TYPE = ""
        ATTRIBUTE = ""  # the one Fn::GetAtt attribute, equal to the physical id

        @property
        def physical_resource_id(self) -> str:
            raise NotImplementedError

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        def is_created(self) -> bool:
            return True

        @classmethod
        def cloudformation_type(cls) -> str:
            return cls.RESOURCE_TYPE

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == cls.ATTRIBUTE

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == self.ATTRIBUTE:
                return self.physical_resource_id
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            raise UnformattedGetAttTemplateException()

    class ScalableTarget(EmulatedResource):
        """A registered scalable target and the scheduled actions of its template."""

        RESOURCE_TYPE = SCALABLE_TARGET_TYPE
        ATTRIBUTE = "Id"

        def __init__(self, properties: dict[str, Any], account_id: str, region_name: str):
            self.properties = properties
            self.account_id = account_id
            self.region_name = region_name
            self.key = tuple(str(properties.get(key)) for key in _TARGET_KEYS)

        @property
        def physical_resource_id(self) -> str:
            return target_id(*self.key)

        def register(self, previous: dict[str, Any] | None = None) -> None:
            backend = _backend(self.account_id, self.region_name)
            resource_id, dimension, namespace = self.key
            props = self.properties
            backend.register_scalable_target(
                namespace, resource_id, dimension,
                min_capacity=_int(props.get("MinCapacity")),
                max_capacity=_int(props.get("MaxCapacity")),
                role_arn=props.get("RoleARN"),
                suspended_state=props.get("SuspendedState"),
            )  # fmt: skip
            wanted = {a["ScheduledActionName"]: a for a in props.get("ScheduledActions") or []}
            for name in {
                a["ScheduledActionName"] for a in (previous or {}).get("ScheduledActions") or []
            } - set(wanted):
                backend.delete_scheduled_action(namespace, name, resource_id, dimension)
            for name, action in wanted.items():
                target_action = action.get("ScalableTargetAction") or {}
                backend.put_scheduled_action(
                    namespace, action.get("Schedule"), action.get("Timezone"), name,
                    resource_id, dimension, action.get("StartTime"), action.get("EndTime"),
                    {k: _int(v) for k, v in target_action.items()},
                )  # fmt: skip
            on_act(SCALABLE_TARGET_TYPE, f"{namespace} {resource_id} {dimension}")

        def delete(self, account_id: str, region_name: str) -> None:
            """Deregister, with the target's scheduled actions and policies (as the service)."""
            backend = _backend(account_id, region_name)
            resource_id, dimension, namespace = self.key
            for action in backend.describe_scheduled_actions("", namespace, resource_id, dimension):
                backend.delete_scheduled_action(
                    namespace, action.scheduled_action_name, resource_id, dimension
                )
            for key, policy in list(backend.policies.items()):
                if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (
                    namespace,
                    resource_id,
                    dimension,
                ):
                    del backend.policies[key]
            backend.deregister_scalable_target(namespace, resource_id, dimension)

        @classmethod
        def create_from_cloudformation_json(
            cls,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            target = cls(cloudformation_json.get("Properties") or {}, account_id, region_name)
            target.register()
            return target

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            target = cls(cloudformation_json.get("Properties") or {}, account_id, region_name)
            if target.key != original_resource.key:  # a replacement: new target, old one gone
                target.register()
                original_resource.delete(account_id, region_name)
            else:
                target.register(previous=original_resource.properties)
            return target

        @classmethod
        def delete_from_cloudformation_json(
            cls,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> None:
            """Unused: moto deletes through ``delete()``."""

    class ScalingPolicy(EmulatedResource):
        """A scaling policy on a registered scalable target."""

        RESOURCE_TYPE = SCALING_POLICY_TYPE
        ATTRIBUTE = "Arn"

        def __init__(self, properties: dict[str, Any], account_id: str, region_name: str):
            self.account_id = account_id
            self.region_name = region_name
            self.name = str(properties.get("PolicyName"))
            target = properties.get("ScalingTargetId")
            if isinstance(target, str) and target.count("|") == 2:
                resource_id, dimension, namespace = target.split("|")
            else:
                resource_id, dimension, namespace = (str(properties.get(k)) for k in _TARGET_KEYS)
            self.key = (resource_id, dimension, namespace)
            policy_type = properties.get("PolicyType")
            body = properties.get(
                "TargetTrackingScalingPolicyConfiguration"
                if policy_type == "TargetTrackingScaling"
                else "StepScalingPolicyConfiguration"
            )
            self.policy = _backend(account_id, region_name).put_scaling_policy(
                self.name, namespace, resource_id, dimension, body or {}, policy_type
            )
            on_act(SCALING_POLICY_TYPE, f"{self.name} ({policy_type})")

        @property
        def physical_resource_id(self) -> str:
            return str(self.policy.policy_arn)

        def delete(self, account_id: str, region_name: str) -> None:
            from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy

            backend = _backend(account_id, region_name)
            resource_id, dimension, namespace = self.key
            key = FakeApplicationAutoscalingPolicy.formulate_key(
                namespace, resource_id, dimension, self.name
            )
            if key in backend.policies:  # else deregistering the target deleted it
                backend.delete_scaling_policy(self.name, namespace, resource_id, dimension)

        @classmethod
        def create_from_cloudformation_json(
            cls,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            return cls(cloudformation_json.get("Properties") or {}, account_id, region_name)

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            properties = cloudformation_json.get("Properties") or {}
            if str(properties.get("PolicyName")) != original_resource.name:
                original_resource.delete(account_id, region_name)
            return cls(properties, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(
            cls,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> None:
            """Unused: moto deletes through ``delete()``."""

    return ScalableTarget, ScalingPolicy


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def install() -> None:
    """The two resource types (in ``RESOURCE_CLASSES``) and the dimension, in moto."""
    if "dimension" in _ORIGINALS:
        return
    from moto.applicationautoscaling import models, responses

    for resource_class in _build_classes():
        RESOURCE_CLASSES[resource_class.cloudformation_type()] = resource_class  # type: ignore[attr-defined]

    moto_valid = models._target_params_are_valid
    moto_validate_params = responses.ApplicationAutoScalingResponse._validate_params

    def target_params_are_valid(namespace: str, r_id: str, dimension: str) -> bool:
        if is_provisioned_concurrency(namespace, r_id, dimension):
            on_act("dimension", dimension)
            return True
        return moto_valid(namespace, r_id, dimension)

    def validate_params(self: Any) -> None:
        dimension = self._get_param("ScalableDimension")
        if (
            dimension == PROVISIONED_CONCURRENCY
            and self._get_param("ServiceNamespace") == "sagemaker"
        ):
            return  # the backend (target_params_are_valid) checks the resource id
        moto_validate_params(self)

    _patch("dimension", models, "_target_params_are_valid", target_params_are_valid)
    _patch(
        "dimension-api",
        responses.ApplicationAutoScalingResponse,
        "_validate_params",
        validate_params,
    )


def uninstall() -> None:
    """moto as it was before ``install()``."""
    for owner, attribute, original in reversed(list(_ORIGINALS.values())):
        setattr(owner, attribute, original)
    _ORIGINALS.clear()
    RESOURCE_CLASSES.clear()
