#!/usr/bin/env python3
"""Regenerate the construct's SageMaker XGBoost image registry table.

The region -> registry-account facts come from the SageMaker Python SDK's image URI configuration
(``sagemaker/image_uri_config/xgboost.json``). Point this script at that file (from an unpacked
``sagemaker`` wheel or an installed SDK) and it rewrites
``constructs/src/sagemaker_serverless/data/xgboost_registry.json`` with the inference
versions served
from the ``sagemaker-xgboost`` repository, restricted to the partitions the construct knows how to
address (aws, aws-cn, aws-us-gov).

    pip download --no-deps sagemaker -d /tmp/sdk && unzip -o /tmp/sdk/sagemaker-*.whl \
        'sagemaker/image_uri_config/xgboost.json' -d /tmp/sdk
    python scripts/update_image_registry.py /tmp/sdk/sagemaker/image_uri_config/xgboost.json \
        --sdk-version 2.257.7
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "constructs/src/sagemaker_serverless/data/xgboost_registry.json"
)
# Isolated partitions use other DNS suffixes and are not reachable for commercial accounts.
EXCLUDED_REGION_PREFIXES = ("us-iso",)
REPOSITORY = "sagemaker-xgboost"


def convert(sdk_config: dict[str, Any], sdk_version: str) -> dict[str, Any]:
    versions: dict[str, dict[str, str]] = {}
    for version, spec in sdk_config["inference"]["versions"].items():
        if spec.get("repository") != REPOSITORY:
            continue  # version "1" is the legacy "xgboost" repository
        versions[version] = {
            region: account
            for region, account in sorted(spec["registries"].items())
            if not region.startswith(EXCLUDED_REGION_PREFIXES)
        }
    return {
        "source": "sagemaker-python-sdk sagemaker/image_uri_config/xgboost.json (inference)",
        "sdk_version": sdk_version,
        "repository": REPOSITORY,
        "versions": dict(sorted(versions.items(), key=lambda item: _version_key(item[0]))),
    }


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.replace("-", ".").split("."))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdk_xgboost_json", type=Path)
    parser.add_argument("--sdk-version", required=True, help="version of the sagemaker SDK read")
    args = parser.parse_args(argv)
    try:
        sdk_config = json.loads(args.sdk_xgboost_json.read_text())
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: cannot read {args.sdk_xgboost_json}: {error}", file=sys.stderr)
        return 2
    table = convert(sdk_config, args.sdk_version)
    OUTPUT.write_text(json.dumps(table, indent=2) + "\n")
    print(f"wrote {OUTPUT} ({len(table['versions'])} versions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
