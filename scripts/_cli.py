"""What the scripts' command lines share: a parser that raises instead of exiting, and types.

argparse exits with status 2 on a bad option; the scripts report bad options themselves (one
``error:`` line, their own exit code, a JSON report where asked), so their parser raises the
script's usage error instead. ``scripts/local_endpoint`` keeps its own: it is copied into the
bring-your-own-container image without the rest of ``scripts/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn


class RaisingArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that prints its usage and raises ``usage_error(message)``."""

    def __init__(self, *args: Any, usage_error: Callable[[str], Exception], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._usage_error = usage_error

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise self._usage_error(message)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)
