"""Entry point: ``python -m scripts.cost`` (from the project root)."""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/cost`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.cost\n")
    sys.exit(2)

from stacks.node_runtime import use_project_node

use_project_node()  # before aws_cdk (imported by stacks.config) starts jsii's Node.js

from scripts.cost.cli import main  # noqa: E402 (after use_project_node)

if __name__ == "__main__":
    sys.exit(main())
