"""Which container this package mirrors, and where each behaviour comes from.

Citations in this package (``serve.py:210``) name a line of the managed XGBoost container's
source at :data:`CONTAINER_COMMIT`, or of the encoder library that image pins:

- ``serve.py``, ``serve_utils.py``: ``src/sagemaker_xgboost_container/algorithm_mode/``
- ``encoder.py``, ``data_utils.py``, ``serving.py``: ``src/sagemaker_xgboost_container/``
- ``sagemaker_containers/...``: the sagemaker-containers package at :data:`ENCODER_LIBRARY`
  (``src/sagemaker_containers/`` in its source distribution; ``etc/nginx.conf.template``).

Image ``3.0-5`` is built from ``docker/3.0-5`` (last changed in 5dda2fb); the serving code it
runs is the tree at 4378511, the last commit before #478 rewrote it for Python 3.12 and removed
mlio. A serverless endpoint is a single-model endpoint: ``serving.py`` starts gunicorn (behind
nginx) on the Flask app in ``algorithm_mode/serve.py``; ``handler_service.py`` is the
multi-model path and plays no part here.
"""

from __future__ import annotations

IMAGE_VERSION = "3.0-5"
CONTAINER_REPOSITORY = "aws/sagemaker-xgboost-container"
CONTAINER_COMMIT = "43785110b2cfbeb304ae34e535ed7d6edd270a0d"
ENCODER_LIBRARY = "sagemaker-containers==2.8.6.post2"
# What the image runs (requirements.txt:1,14,24,30 at CONTAINER_COMMIT; docker/3.0-5 base: Python
# 3.10; xgboost from the base image's XGBOOST_VERSION). This server runs on the project's own pins:
# the same xgboost; Flask 3 and Werkzeug 3 (Flask 1.1.1 needs Jinja2 2 and MarkupSafe 1, which
# do not install beside the project's moto server), with Werkzeug 0.15.6's observable behaviour
# reproduced in app.py.
IMAGE_PINS = {
    "Flask": "1.1.1",
    "Werkzeug": "0.15.6",
    "xgboost": "3.0.5",
    "numpy": "2.1.0",
    "scipy": "1.15.0",
    "python": "3.10",
}

# SageMaker Serverless Inference's front door, before the container: at most 4 MB per request
# (the documented invocation payload limit) and 60 s per invocation.
SERVERLESS_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
SERVERLESS_INVOCATION_TIMEOUT_S = 60
