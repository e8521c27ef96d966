"""What the endpoint answered: the predictions in its body, each checked to be a finite number."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import CheckFailedError


def parse_predictions(body: bytes) -> list[float]:
    """The numbers in an answer: CSV or lines, a JSON number or list, or {"predictions": [...]}."""
    text = body.decode(errors="replace").strip()
    if not text:
        raise CheckFailedError("the endpoint answered with an empty body")
    values: list[Any]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        values = [cell for cell in re.split(r"[,\s]+", text) if cell]
    else:
        if isinstance(parsed, dict) and isinstance(parsed.get("predictions"), list):
            parsed = [p.get("score") if isinstance(p, dict) else p for p in parsed["predictions"]]
        values = parsed if isinstance(parsed, list) else [parsed]
    numbers: list[float] = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CheckFailedError(f"the answer is not a number: {text[:200]!r}") from None
        if not math.isfinite(number):
            raise CheckFailedError(f"the answer is not a finite number: {text[:200]!r}")
        numbers.append(number)
    return numbers
