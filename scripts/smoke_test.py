#!/usr/bin/env python3
"""Prove that a deployed SageMaker Serverless endpoint answers: `python -m scripts.smoke_test`.

Run it from the project root. The work is done in the package scripts/smoke/ (its docstring
describes the checks, load mode and exit codes); this module is only the entry point.
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/smoke_test.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.smoke_test\n")
    sys.exit(2)

from scripts.smoke.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
