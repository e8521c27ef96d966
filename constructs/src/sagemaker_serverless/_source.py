"""Where the model comes from: an image and an artifact, or a Model Registry version."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from .image import ContainerImage
from .model_data import ModelData
from .model_package import ModelPackage


def source_problems(
    image: ContainerImage | None,
    model_data: ModelData | None,
    model_package: ModelPackage | None,
    scope: Construct,
) -> list[str]:
    """The problems of a source that is not exactly "image and model_data" (the caller checks
    that case itself, with the artifact)."""
    if model_package is None:
        missing = [name for name, v in (("image", image), ("model_data", model_data)) if v is None]
        return [f"{' and '.join(missing)} missing: give image and model_data, or model_package"]
    if image is not None or model_data is not None:
        return [
            "model_package is given together with image/model_data; the package brings its own "
            "image and artifact: give model_package alone, or image and model_data"
        ]
    return model_package.problems(scope)


def bind_source(
    scope: Construct,
    image: ContainerImage | None,
    model_data: ModelData | None,
    model_package: ModelPackage | None,
    environment: Mapping[str, str] | None,
) -> tuple[sagemaker.CfnModel.ContainerDefinitionProperty, tuple[iam.PolicyStatement, ...]]:
    """The model's container, and what the execution role needs to run it."""
    env = dict(environment) if environment else None
    if model_package is not None:
        package = model_package.bind(scope)
        container = sagemaker.CfnModel.ContainerDefinitionProperty(
            model_package_name=package.model_package_arn, environment=env
        )
        return container, package.policy_statements
    if image is None or model_data is None:  # source_problems refused this before
        raise ValueError("image and model_data, or model_package, are required")
    image_config, data_config = image.bind(scope), model_data.bind(scope)
    container = sagemaker.CfnModel.ContainerDefinitionProperty(
        image=image_config.image_uri, model_data_url=data_config.s3_url, environment=env
    )
    return container, image_config.policy_statements + data_config.policy_statements
