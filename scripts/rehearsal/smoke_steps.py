"""The smoke step: the smoke script (``python -m scripts.smoke_test``) against a deployed stack.

moto answers ``invoke_endpoint`` with a canned body: the rehearsal sets it (CANNED_PREDICTION)
through moto's API first, so this proves the wiring (stack -> EndpointName output -> endpoint ->
runtime call -> answer check), never the model (note ``canned-inference``).
"""

from __future__ import annotations

import sys

from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.settings import CANNED_PREDICTION, REGION
from scripts.rehearsal.step_runner import StepRunner


def smoke_command(stack_name: str, *, warm_invocations: int) -> list[str]:
    """The smoke script against a stack of the moto server, with a JSON report."""
    return [
        sys.executable, "-m", "scripts.smoke_test",
        "--stack", stack_name, "--region", REGION, "--json",
        "--poll-interval", "1", "--timeout", "60", "--warm-invocations", str(warm_invocations),
    ]  # fmt: skip


class SmokeSteps(StepRunner):
    """smoke: the body of the "smoke test <stack>" steps (returns the step's detail)."""

    def smoke(self, stack_name: str) -> str:
        """Run the smoke script against the stack, with moto's answer set first."""
        endpoint = self.endpoint_names[stack_name]
        self.server.set_inference_answer(f"{CANNED_PREDICTION}\n")
        self.report.note("canned-inference")
        returncode, smoke = self.run_json(
            smoke_command(stack_name, warm_invocations=2), what="the smoke test"
        )
        self.report.smoke[stack_name] = smoke
        if returncode != 0 or not smoke.get("ok"):
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
