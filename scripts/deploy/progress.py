"""Progress and timing: each step numbered on stderr as it starts and ends, and the summary."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from scripts.deploy.errors import RefusedError


@dataclass
class StepRecord:
    name: str
    status: str = "running"  # "ok", "refused", "failed", "skipped"
    seconds: float = 0.0
    detail: str = ""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Progress:
    """``with progress.step("synth") as step: ... step.detail = "..."``; a StepError marks the
    step refused/failed and propagates."""

    title: str
    say: Callable[[str], None] = _stderr
    clock: Callable[[], float] = time.monotonic
    steps: list[StepRecord] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[StepRecord]:
        record = StepRecord(name=name)
        self.steps.append(record)
        self.say(f"==> [{len(self.steps)}] {name}")
        started = self.clock()
        try:
            yield record
            record.status = "ok"
        except RefusedError:
            record.status = "refused"
            raise
        except BaseException:
            record.status = "failed"
            raise
        finally:
            record.seconds = round(self.clock() - started, 1)
            detail = f" - {record.detail}" if record.detail else ""
            self.say(f"    {record.status} ({record.seconds:.1f}s){detail}")

    def summary(self, *, outcome: str, facts: list[str]) -> str:
        """One block: the outcome, the facts (what changed, the smoke result), each step."""
        lines = ["", f"{self.title}: {outcome}"]
        lines += [f"  {fact}" for fact in facts]
        lines.append("  steps:")
        width = max((len(step.name) for step in self.steps), default=0)
        for number, step in enumerate(self.steps, start=1):
            detail = f"  {step.detail}" if step.detail else ""
            lines.append(
                f"    {number:>2}. {step.name:<{width}}  {step.status:<7} {step.seconds:>6.1f}s"
                f"{detail}"
            )
        total = sum(step.seconds for step in self.steps)
        lines.append(f"  total {total:.1f}s")
        return "\n".join(lines)
