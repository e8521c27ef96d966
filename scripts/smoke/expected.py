"""What the endpoint should run: the expected side of the live-configuration check (drift.py).

Read from a CloudFormation template, either the deployed stack's (GetTemplate, the processed
template) with its physical resource ids (DescribeStackResources), or a synthesized one
(--template cdk.out/<Stack>.template.json) with no stack behind it:

- the endpoint config: the stack's AWS::SageMaker::EndpointConfig resource that the endpoint's
  EndpointConfigName names (Fn::GetAtt or Ref), by its physical id; a literal name as written;
- per production variant of that config: its ServerlessConfig (MemorySizeInMB, MaxConcurrency,
  ProvisionedConcurrency) as the template writes it (literals in this project's templates;
  anything else is "skipped", never guessed); its model, the stack's AWS::SageMaker::Model by
  physical id; the model's PrimaryContainer Image and ModelDataUrl as literals from the template,
  or, when the template computes them (Fn::Sub, Fn::FindInMap, Fn::Join of pseudo parameters, as
  environment-agnostic templates do for the image registry and the asset bucket), as the stack's
  own Model resource holds them (DescribeModel), saying so.

Without a stack (--template), CloudFormation's generated names (the endpoint config's and the
model's) and computed values cannot be known: those checks are skipped, and say why.

CloudFormation reports an ARN as the physical id of these three SageMaker types (moto does the
same); the name is the part after the "/". SageMaker names are unique regardless of case
(CreateEndpoint: "the name is case-insensitive"), so names are compared without case.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError, error_code, error_message

ENDPOINT_TYPE = "AWS::SageMaker::Endpoint"
CONFIG_TYPE = "AWS::SageMaker::EndpointConfig"
MODEL_TYPE = "AWS::SageMaker::Model"
SERVERLESS_FIELDS = ("MemorySizeInMB", "MaxConcurrency", "ProvisionedConcurrency")
CONTAINER_FIELDS = {"image": "Image", "model data": "ModelDataUrl"}
NONE = "none"  # how an absent value (e.g. no ProvisionedConcurrency) is shown and compared
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}

PhysicalName = Callable[[str], str | None]  # logical id -> name (from the physical id) or None
DescribeModel = Callable[[str], Mapping[str, Any]]  # model name -> DescribeModel's answer


@dataclass(frozen=True, kw_only=True)
class Expected:
    """One expected value and where it came from, or why it cannot be compared."""

    value: str | None
    source: str
    skipped: str | None = None  # the reason, when value is None


@dataclass(frozen=True, kw_only=True)
class ExpectedVariant:
    name: str
    serverless: Mapping[str, Expected]  # SERVERLESS_FIELDS -> Expected
    model_name: Expected
    container: Mapping[str, Expected]  # CONTAINER_FIELDS keys -> Expected


@dataclass(frozen=True, kw_only=True)
class ExpectedEndpoint:
    source: str  # "stack 'X'" or "template 'cdk.out/X.template.json'"
    endpoint_config_name: Expected
    variants: tuple[ExpectedVariant, ...]
    stack_status: str | None = None


def skipped(source: str, reason: str) -> Expected:
    return Expected(value=None, source=source, skipped=reason)


def name_from_physical_id(physical_id: str) -> str:
    """The SageMaker name in a physical id: an ARN (…:model/<name>) or the name itself."""
    return physical_id.split("/", 1)[1] if physical_id.startswith("arn:") else physical_id


def intrinsic(value: Any) -> str:
    """How a non-literal template value is named in a message, e.g. "Fn::Join"."""
    if isinstance(value, Mapping) and len(value) == 1:
        return str(next(iter(value)))
    return type(value).__name__


def referenced_resource(value: Any, resources: Mapping[str, Any]) -> str | None:
    """The logical id that ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, attr]}`` points at."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    if "Ref" in value:
        target = value["Ref"]
    elif "Fn::GetAtt" in value:
        attribute = value["Fn::GetAtt"]
        target = attribute[0] if isinstance(attribute, list) else str(attribute).split(".")[0]
    else:
        return None
    return str(target) if target in resources else None


def _of_type(resources: Mapping[str, Any], resource_type: str) -> list[str]:
    return [
        k for k, v in resources.items() if isinstance(v, Mapping) and v.get("Type") == resource_type
    ]


def _properties(resources: Mapping[str, Any], logical_id: str) -> Mapping[str, Any]:
    properties = resources[logical_id].get("Properties") or {}
    return properties if isinstance(properties, Mapping) else {}


class TemplateReader:
    """Expected values from one template, with (stack) or without (--template) physical ids."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        source: str,
        physical_name: PhysicalName | None,
        describe_model: DescribeModel | None,
    ) -> None:
        resources = template.get("Resources")
        if not isinstance(resources, Mapping) or not resources:
            raise UsageError(f"{source} has no Resources")
        self.resources: Mapping[str, Any] = resources
        self.source = source
        self._physical_name = physical_name
        self._describe_model = describe_model
        self._models: dict[str, Mapping[str, Any] | str] = {}  # name -> answer, or why none

    @property
    def endpoints(self) -> list[str]:
        return _of_type(self.resources, ENDPOINT_TYPE)

    def literal_endpoint_name(self, logical_id: str) -> str | None:
        name = _properties(self.resources, logical_id).get("EndpointName")
        return name if isinstance(name, str) else None

    def expected(self, endpoint_id: str, *, stack_status: str | None = None) -> ExpectedEndpoint:
        properties = _properties(self.resources, endpoint_id)
        config_value = properties.get("EndpointConfigName")
        config_id = referenced_resource(config_value, self.resources)
        config_name = self._name(config_value, config_id, what="EndpointConfigName")
        variants: tuple[ExpectedVariant, ...] = ()
        if config_id is not None and self.resources[config_id].get("Type") == CONFIG_TYPE:
            variants = tuple(
                self._variant(config_id, variant)
                for variant in _properties(self.resources, config_id).get("ProductionVariants", [])
                if isinstance(variant, Mapping)
            )
        return ExpectedEndpoint(
            source=self.source,
            endpoint_config_name=config_name,
            variants=variants,
            stack_status=stack_status,
        )

    def _name(self, value: Any, logical_id: str | None, *, what: str) -> Expected:
        """A SageMaker name: a template literal, or a resource's name from its physical id."""
        if isinstance(value, str):
            return Expected(value=value, source=f"template: literal {what}")
        if logical_id is None:
            return skipped("template", f"{what} is {intrinsic(value)}, not a template resource")
        where = f"stack resource {logical_id} (physical id)"
        if self._physical_name is None:
            return skipped(
                f"template: {logical_id}",
                "CloudFormation generates this name at deploy: only a stack knows it (--stack)",
            )
        name = self._physical_name(logical_id)
        if name is None:
            return skipped(where, f"the stack has no resource {logical_id}")
        return Expected(value=name, source=where)

    def _variant(self, config_id: str, variant: Mapping[str, Any]) -> ExpectedVariant:
        name = str(variant.get("VariantName", "?"))
        where = f"template: {config_id} ServerlessConfig"
        config = variant.get("ServerlessConfig")
        serverless: dict[str, Expected] = {}
        for field in SERVERLESS_FIELDS:
            value = config.get(field) if isinstance(config, Mapping) else None
            if value is None:
                serverless[field] = Expected(value=NONE, source=where)
            elif isinstance(value, bool) or not str(value).strip().isdigit():
                serverless[field] = skipped(where, f"not a literal number ({intrinsic(value)})")
            else:
                serverless[field] = Expected(value=str(int(str(value).strip())), source=where)
        model_value = variant.get("ModelName")
        model_id = referenced_resource(model_value, self.resources)
        return ExpectedVariant(
            name=name,
            serverless=serverless,
            model_name=self._name(model_value, model_id, what="ModelName"),
            container=self._container(model_id),
        )

    def _container(self, model_id: str | None) -> dict[str, Expected]:
        if model_id is None or self.resources[model_id].get("Type") != MODEL_TYPE:
            reason = "the variant's model is not a resource of the template"
            return {key: skipped("template", reason) for key in CONTAINER_FIELDS}
        container = _properties(self.resources, model_id).get("PrimaryContainer")
        if not isinstance(container, Mapping):
            reason = f"{model_id} has no PrimaryContainer (multi-container models are not read)"
            return {key: skipped("template", reason) for key in CONTAINER_FIELDS}
        found: dict[str, Expected] = {}
        for key, field in CONTAINER_FIELDS.items():
            value = container.get(field)
            where = f"template: {model_id} PrimaryContainer.{field}"
            if isinstance(value, str):
                found[key] = Expected(value=value, source=where)
            elif value is None:
                found[key] = Expected(value=NONE, source=where)
            else:
                found[key] = self._from_stack_model(model_id, field, intrinsic(value))
        return found

    def _from_stack_model(self, model_id: str, field: str, how: str) -> Expected:
        """A value the template computes, as the stack's own Model resource holds it."""
        if self._physical_name is None or self._describe_model is None:
            return skipped(
                f"template: {model_id} PrimaryContainer.{field}",
                f"the template computes it ({how}): only the stack's model says what it is "
                "(--stack)",
            )
        name = self._physical_name(model_id)
        where = f"stack resource {model_id} via DescribeModel (template: {how})"
        if name is None:
            return skipped(where, f"the stack has no resource {model_id}")
        answer = self._model(name)
        if isinstance(answer, str):
            return skipped(where, answer)
        value = (answer.get("PrimaryContainer") or {}).get(field)
        return Expected(value=str(value) if value is not None else NONE, source=where)

    def _model(self, name: str) -> Mapping[str, Any] | str:
        if name not in self._models:
            assert self._describe_model is not None
            try:
                self._models[name] = self._describe_model(name)
            except Exception as error:
                if not error_code(error):
                    raise
                self._models[name] = f"DescribeModel {name}: {error_code(error)}: " + (
                    error_message(error)
                )
        return self._models[name]


# --- the two sources -------------------------------------------------------------------------


def read_template_file(path: Path) -> dict[str, Any]:
    """A synthesized template (JSON, as `cdk synth` writes it); UsageError naming the problem."""
    try:
        text = path.read_text()
    except OSError as error:
        raise UsageError(f"--template {str(path)!r}: {error.strerror}") from None
    try:
        template = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"--template {str(path)!r} is not a JSON template ({error.msg} at line "
            f"{error.lineno}); give the file `cdk synth` writes to cdk.out/<Stack>.template.json"
        ) from None
    if not isinstance(template, dict):
        raise UsageError(f"--template {str(path)!r} is not a JSON object")
    return template


def from_template_file(path: Path, *, endpoint_name: str) -> ExpectedEndpoint:
    """--template: the endpoint resource named ``endpoint_name`` (or the template's only one)."""
    source = f"template {str(path)!r}"
    reader = TemplateReader(
        read_template_file(path), source=source, physical_name=None, describe_model=None
    )
    endpoints = reader.endpoints
    names = {logical_id: reader.literal_endpoint_name(logical_id) for logical_id in endpoints}
    matching = [i for i, n in names.items() if n is not None and n.lower() == endpoint_name.lower()]
    if len(matching) == 1:
        return reader.expected(matching[0])
    if len(endpoints) == 1 and names[endpoints[0]] is None:
        return reader.expected(endpoints[0])  # CloudFormation names it: cannot be told apart
    shown = ", ".join(f"{i} ({n or 'name generated at deploy'})" for i, n in names.items())
    raise UsageError(
        f"{source} defines no endpoint named {endpoint_name!r} "
        f"(its {ENDPOINT_TYPE} resources: {shown or 'none'}); give the template of the stack "
        "that deployed this endpoint"
    )


def _read_stack_template(cloudformation: Any, stack: str) -> dict[str, Any]:
    answer = _stack_call(
        cloudformation.get_template,
        stack,
        "GetTemplate",
        StackName=stack,
        TemplateStage="Processed",
    )
    body = answer.get("TemplateBody")
    if isinstance(body, str):  # boto3 decodes a JSON body; a YAML one stays text
        try:
            body = json.loads(body)
        except json.JSONDecodeError:
            raise UsageError(
                f"stack {stack!r}: its template is not JSON (YAML?); the configuration check "
                "reads JSON templates, as CDK deploys them. Pass --no-config-check"
            ) from None
    if not isinstance(body, Mapping):
        raise UsageError(f"stack {stack!r}: GetTemplate returned no template")
    return dict(body)


def _stack_call(call: Callable[..., Any], stack: str, action: str, **request: Any) -> Any:
    """A CloudFormation read for the check; no permission for it is a configuration error."""
    try:
        return call(**request)
    except Exception as error:
        if error_code(error) in ACCESS_DENIED:
            raise UsageError(
                f"the configuration check cannot read stack {stack!r}: {action}: "
                f"{error_code(error)}: {error_message(error)}. Grant cloudformation:{action} on "
                "the stack (the pipeline's smoke role has it), or pass --no-config-check"
            ) from None
        if error_code(error) == "ValidationError":
            raise UsageError(f"stack {stack!r}: {action}: {error_message(error)}") from None
        raise


def from_stack(
    cloudformation: Any,
    sagemaker: Any,
    *,
    stack: str,
    endpoint_name: str,
    stack_status: str | None,
) -> ExpectedEndpoint:
    """--stack: the stack's template, and its resources' physical ids."""
    template = _read_stack_template(cloudformation, stack)
    physical: dict[str, str | None] = {}

    def physical_name(logical_id: str) -> str | None:
        if logical_id not in physical:
            answer = _stack_call(
                cloudformation.describe_stack_resources,
                stack,
                "DescribeStackResources",
                StackName=stack,
                LogicalResourceId=logical_id,
            )
            found = [
                str(r["PhysicalResourceId"])
                for r in answer.get("StackResources", [])
                if r.get("PhysicalResourceId")
            ]
            physical[logical_id] = name_from_physical_id(found[0]) if found else None
        return physical[logical_id]

    def describe_model(name: str) -> Mapping[str, Any]:
        answer: Mapping[str, Any] = sagemaker.describe_model(ModelName=name)
        return answer

    reader = TemplateReader(
        template,
        source=f"stack {stack!r}",
        physical_name=physical_name,
        describe_model=describe_model,
    )
    endpoints = reader.endpoints
    if len(endpoints) == 1:
        return reader.expected(endpoints[0], stack_status=stack_status)
    for logical_id in endpoints:
        name = physical_name(logical_id)
        if name is not None and name.lower() == endpoint_name.lower():
            return reader.expected(logical_id, stack_status=stack_status)
    raise UsageError(
        f"stack {stack!r} has no {ENDPOINT_TYPE} resource for endpoint {endpoint_name!r} "
        f"(its endpoint resources: {', '.join(endpoints) or 'none'})"
    )
