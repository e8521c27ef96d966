"""The one error of ``make cost`` (exit code 2): a bad input file, field and value named."""

from __future__ import annotations

EXIT_OK, EXIT_BAD_INPUT = 0, 2


class CostInputError(Exception):
    """An input that cannot be used: which file, which field, the value, what is allowed."""

    def __init__(self, *, path: str, field: str, problem: str) -> None:
        self.path, self.field, self.problem = path, field, problem
        separator = "" if problem.startswith("=") else " "
        super().__init__(f"{path}: {field}{separator}{problem}")
