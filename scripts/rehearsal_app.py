"""The CDK app of ``app.py`` with one environment's memory size changed, for the deploy rehearsal.

    cdk diff --app ".venv/bin/python -m scripts.rehearsal_app" \\
        -c rehearsal:memory-size-in-mb=dev=3072 SageMakerServerless-dev

The rehearsal's update steps run it as the CDK app. The app is scripts/rehearsal/update_app.py
(the same stacks.app.build_app, only the named environment's memory size differs); this module
is only the entry point.
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/rehearsal_app.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.rehearsal_app\n")
    sys.exit(2)

from scripts.rehearsal.update_app import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
