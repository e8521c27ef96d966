"""The one error type the library raises for bad configuration."""

from __future__ import annotations

from collections.abc import Sequence


class ServerlessConfigError(ValueError):
    """Every configuration problem found in one pass, raised together.

    ``problems`` holds one line per problem; each names the field, the value given and what is
    allowed, so a caller can fix everything at once instead of one error per synth.
    """

    def __init__(self, problems: Sequence[str], *, subject: str) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        self.subject = subject
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{subject}: {count} configuration {noun}:\n{lines}")
