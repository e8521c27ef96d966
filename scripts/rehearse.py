#!/usr/bin/env python3
"""Rehearse a deploy offline: the real CDK CLI against moto's AWS emulator, start to finish.

    make rehearse                   # or: .venv/bin/python -m scripts.rehearse [--json] [-v]

Run it from the project root. The work is done in the package scripts/rehearsal/ (its docstring
describes the steps, the exit codes, the modules, and how to add a step or an emulator patch);
this module is only the entry point.
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/rehearse.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.rehearse\n")
    sys.exit(2)

from scripts.rehearsal.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
