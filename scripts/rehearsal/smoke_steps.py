"""The smoke step: the smoke script (``python -m scripts.smoke_test``) against a deployed stack.

moto answers ``invoke_endpoint`` with a canned body: the rehearsal sets it (CANNED_PREDICTION)
through moto's API first, so this proves the wiring (stack -> EndpointName output -> endpoint ->
runtime call -> answer check), never the model (note ``canned-inference``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from scripts.rehearsal.commands import tail
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.settings import CANNED_PREDICTION, REGION
from scripts.rehearsal.step_runner import StepRunner


class SmokeSteps(StepRunner):
    """smoke: the body of the "smoke test <stack>" steps (returns the step's detail)."""

    def smoke(self, stack_name: str) -> str:
        """Run the smoke script against the stack, with moto's answer set first."""
        endpoint = self.endpoint_names[stack_name]
        self.server.set_inference_answer(f"{CANNED_PREDICTION}\n")
        self.report.note("canned-inference")
        result = self.runner.run(
            [
                sys.executable, "-m", "scripts.smoke_test",
                "--stack", stack_name, "--region", REGION, "--json",
                "--poll-interval", "1", "--timeout", "60", "--warm-invocations", "2",
            ],
            check=False,
        )  # fmt: skip
        reports = [line for line in result.output.splitlines() if line.startswith("{")]
        try:
            smoke: dict[str, Any] = json.loads(reports[-1])
        except (IndexError, json.JSONDecodeError):
            raise RehearsalFailedError(
                f"the smoke test printed no report (exit {result.returncode}):\n"
                f"{tail(result.output)}"
            ) from None
        self.report.smoke[stack_name] = smoke
        if result.returncode != 0 or not smoke.get("ok"):
            raise RehearsalFailedError(f"smoke test of {stack_name} failed: {smoke.get('error')}")
        if smoke.get("endpoint_name") != endpoint:
            raise RehearsalFailedError(
                f"the smoke test found endpoint {smoke.get('endpoint_name')}, "
                f"the stack output says {endpoint}"
            )
        if smoke.get("predictions") != [float(CANNED_PREDICTION)]:
            raise RehearsalFailedError(
                f"{stack_name}: answer {smoke.get('predictions')}, set {CANNED_PREDICTION}"
            )
        calls = 1 + len(smoke.get("warm_latencies_ms", []))
        return f"{endpoint} answered {CANNED_PREDICTION} ({calls} calls)"
