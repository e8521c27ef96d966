"""``python -m scripts.deploy --env NAME``: ``make deploy ENV=NAME`` (see __init__.py)."""

from __future__ import annotations

import sys

from scripts.deploy.cli import main_deploy

if __name__ == "__main__":
    sys.exit(main_deploy())
