"""Entry point: ``python -m scripts.model_registry`` (from the project root)."""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/model_registry`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.model_registry\n")
    sys.exit(2)

from scripts.model_registry.cli import main

if __name__ == "__main__":
    sys.exit(main())
