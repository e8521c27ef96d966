"""The run's report: each step's result, the emulator notes, the plan, the smoke reports; and the
summary printed at the end (a table of steps, the notes, PASSED or FAILED)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from scripts.rehearsal.notes import NOTES


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Note:
    key: str
    text: str
    details: list[str] = field(default_factory=list)


@dataclass
class Report:
    ok: bool = False
    error: str | None = None
    seconds: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    notes: dict[str, Note] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    smoke: dict[str, Any] = field(default_factory=dict)
    scaling: dict[str, Any] = field(default_factory=dict)  # by stack: registered, update, after
    # Each guard of `make deploy` / `make destroy` that refused: its exit code and message.
    guards: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, detail: str | None = None) -> None:
        note = self.notes.setdefault(key, Note(key=key, text=NOTES[key]))
        if detail and detail not in note.details:
            note.details.append(detail)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["notes"] = [asdict(note) for note in self.notes.values()]
        return document


def print_summary(report: Report) -> None:
    width = max([len(step.name) for step in report.steps] + [4])
    print(f"\n{'step':<{width}}  {'result':<6}  {'seconds':>7}")
    print(f"{'-' * width}  {'-' * 6}  {'-' * 7}")
    for step in report.steps:
        print(f"{step.name:<{width}}  {'ok' if step.ok else 'FAILED':<6}  {step.seconds:>7.1f}")
    print(f"{'total':<{width}}  {'':<6}  {report.seconds:>7.1f}")
    if report.notes:
        print("\nExpected emulator notes (moto is not CloudFormation; none of these is a failure):")
        for note in report.notes.values():
            print(f"  [{note.key}] {note.text}")
            for detail in note.details:
                print(f"      - {detail}")
    if report.plan.get("endpoint_downtime"):
        print("\nWARNING: the planned update REPLACES the endpoint (downtime).")
    print("\nREHEARSAL PASSED" if report.ok else f"\nREHEARSAL FAILED: {report.error}")
