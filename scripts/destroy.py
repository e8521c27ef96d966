"""``python -m scripts.destroy --env NAME``: ``make destroy ENV=NAME``.

The work is done in the package scripts/deploy/ (destroy.py); this module is only the entry point.
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/destroy.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.destroy\n")
    sys.exit(2)

from scripts.deploy.cli import main_destroy

__all__ = ["main_destroy"]

if __name__ == "__main__":
    sys.exit(main_destroy())
