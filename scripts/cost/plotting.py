"""What makes a chart reproducible: the same inputs give the same PNG bytes.

The Agg backend (no display, no platform renderer), matplotlib's bundled DejaVu Sans at a fixed
size (no lookup of the machine's fonts), fixed figure size and DPI, and no ``Software`` entry in
the PNG's metadata (matplotlib writes no timestamp into a PNG). Used by ``make cost`` and
``make size``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DPI = 100
STYLE = {"font.family": "DejaVu Sans", "font.size": 10.0, "axes.titlesize": 9.0}


@contextmanager
def figure(*, width: float, height: float, columns: int = 1) -> Iterator[tuple[Any, Any]]:
    """A figure and its axes (a list of ``columns`` axes when columns > 1), closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    with matplotlib.rc_context(STYLE):
        fig, axes = pyplot.subplots(1, columns, figsize=(width, height), dpi=DPI)
        try:
            yield fig, axes
        finally:
            pyplot.close(fig)


def save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
