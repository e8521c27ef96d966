"""Entry point: ``python -m scripts.preflight`` (from the project root)."""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/preflight`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.preflight\n")
    sys.exit(2)

from scripts.preflight.cli import main

if __name__ == "__main__":
    sys.exit(main())
