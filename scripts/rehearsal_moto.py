"""moto's server for the deploy rehearsal, with the rehearsal's changes to moto.

    python -m scripts.rehearsal_moto -H 127.0.0.1 -p 5000     # same arguments as moto_server

The rehearsal (scripts/rehearsal/moto_server.py) starts it. The changes live in
scripts/rehearsal/: placeholders for resource types moto's CloudFormation lacks
(moto_placeholders.py) and repairs of what it gets wrong (moto_patches.py), each reported as a
named emulator note; this module is only the entry point.
"""

from __future__ import annotations

import sys

if __package__ in (None, ""):  # `python scripts/rehearsal_moto.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.rehearsal_moto\n")
    sys.exit(2)

from scripts.rehearsal.moto_patches import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
