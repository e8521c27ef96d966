"""`python -m scripts.bench` (make bench): scripts/bench/cli.py does the work."""

import sys

from scripts.bench.cli import main

sys.exit(main())
