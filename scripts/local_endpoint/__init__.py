"""A local stand-in for SageMaker's managed XGBoost container (single-model endpoint).

``create_app`` loads a model.tar.gz (or model directory) as the container would and returns a
WSGI application that answers ``/ping``, ``/invocations`` and ``/execution-parameters`` as image
:data:`~scripts.local_endpoint.source.IMAGE_VERSION` does. See ``source.py`` for the pinned
container source every behaviour cites.
"""

from .app import LocalEndpoint, create_app
from .model import LoadedModel, ModelLoadError
from .settings import ServingSettings, SettingsError
from .source import IMAGE_VERSION

__all__ = [
    "IMAGE_VERSION",
    "LoadedModel",
    "LocalEndpoint",
    "ModelLoadError",
    "ServingSettings",
    "SettingsError",
    "create_app",
]
