"""AWS CDK constructs for Amazon SageMaker Serverless Inference.

from sagemaker_serverless import ServerlessEndpoint, ContainerImage, ModelData
"""

from ._base import EndpointBase
from ._errors import ServerlessConfigError
from ._limits import (
    MAX_CONCURRENCY,
    MEMORY_SIZES_IN_MB,
    MIN_CONCURRENCY,
    serverless_config_problems,
)
from .deployment import Deployment, TrafficShift
from .endpoint import ServerlessEndpoint
from .image import ContainerImage, ContainerImageConfig, supported_algorithm_versions
from .model_data import ModelData, ModelDataConfig
from .monitoring import EndpointAlarms

__all__ = [
    "MAX_CONCURRENCY",
    "MEMORY_SIZES_IN_MB",
    "MIN_CONCURRENCY",
    "ContainerImage",
    "ContainerImageConfig",
    "Deployment",
    "EndpointAlarms",
    "EndpointBase",
    "ModelData",
    "ModelDataConfig",
    "ServerlessConfigError",
    "ServerlessEndpoint",
    "TrafficShift",
    "serverless_config_problems",
    "supported_algorithm_versions",
]
