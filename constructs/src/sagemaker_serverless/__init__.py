"""AWS CDK constructs for Amazon SageMaker Serverless Inference.

from sagemaker_serverless import ServerlessEndpoint, ContainerImage, ModelData

Names are imported on first use (PEP 562): ``sagemaker_serverless.artifact`` and
``ServerlessConfigError`` need only the standard library, so scripts can check a model artifact
or record a Model Registry version (``ModelPackageDescription``) without loading aws_cdk (and
starting jsii's Node.js process).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import EndpointBase
    from ._errors import ServerlessConfigError
    from ._limits import (
        MAX_CONCURRENCY,
        MEMORY_SIZES_IN_MB,
        MIN_CONCURRENCY,
        serverless_config_problems,
    )
    from .artifact import ArtifactInspection, ModelFileInfo, inspect_model_artifact
    from .deployment import Deployment, TrafficShift
    from .endpoint import ServerlessEndpoint
    from .image import ContainerImage, ContainerImageConfig, supported_algorithm_versions
    from .model_data import ModelData, ModelDataConfig
    from .model_package import ModelPackage, ModelPackageConfig
    from .monitoring import EndpointAlarms
    from .package_description import ModelPackageContainer, ModelPackageDescription
    from .scaling import ProvisionedConcurrencyScaling, ScheduledConcurrency

# Public name -> the submodule that defines it.
_EXPORTS = {
    "MAX_CONCURRENCY": "._limits",
    "MEMORY_SIZES_IN_MB": "._limits",
    "MIN_CONCURRENCY": "._limits",
    "ArtifactInspection": ".artifact",
    "ContainerImage": ".image",
    "ContainerImageConfig": ".image",
    "Deployment": ".deployment",
    "EndpointAlarms": ".monitoring",
    "EndpointBase": "._base",
    "ModelData": ".model_data",
    "ModelDataConfig": ".model_data",
    "ModelPackage": ".model_package",
    "ModelPackageConfig": ".model_package",
    "ModelPackageContainer": ".package_description",
    "ModelPackageDescription": ".package_description",
    "ModelFileInfo": ".artifact",
    "ProvisionedConcurrencyScaling": ".scaling",
    "ScheduledConcurrency": ".scaling",
    "ServerlessConfigError": "._errors",
    "ServerlessEndpoint": ".endpoint",
    "TrafficShift": ".deployment",
    "inspect_model_artifact": ".artifact",
    "serverless_config_problems": "._limits",
    "supported_algorithm_versions": ".image",
}

__all__ = [
    "MAX_CONCURRENCY",
    "MEMORY_SIZES_IN_MB",
    "MIN_CONCURRENCY",
    "ArtifactInspection",
    "ContainerImage",
    "ContainerImageConfig",
    "Deployment",
    "EndpointAlarms",
    "EndpointBase",
    "ModelData",
    "ModelDataConfig",
    "ModelFileInfo",
    "ModelPackage",
    "ModelPackageConfig",
    "ModelPackageContainer",
    "ModelPackageDescription",
    "ProvisionedConcurrencyScaling",
    "ScheduledConcurrency",
    "ServerlessConfigError",
    "ServerlessEndpoint",
    "TrafficShift",
    "inspect_model_artifact",
    "serverless_config_problems",
    "supported_algorithm_versions",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
