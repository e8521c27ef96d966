"""The quota preflight against the deployed stacks: does the dev deploy fit the quota?

moto's Service Quotas has no SageMaker quotas, so the preflight runs with ``--emulate-quota``
(labelled EMULATED in its output; note ``emulated-quota``). With all three stacks deployed, the
other endpoints hold staging's and prod's max concurrency; dev adds its own. Quota = that total:
fits, nothing to spare (exit 0); one less: does not fit (exit 1).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from scripts.rehearsal.assembly import resources_of_type
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.step_runner import StepRunner


class PreflightSteps(StepRunner):
    """preflight: the "quota preflight" step."""

    def preflight(self, environment: str) -> None:
        total = sum(
            variant["ServerlessConfig"]["MaxConcurrency"]
            for stack in self.stacks.values()
            for config in resources_of_type(
                stack.template, "AWS::SageMaker::EndpointConfig"
            ).values()
            for variant in config["Properties"]["ProductionVariants"]
        )
        with self.step(f"quota preflight {environment} (emulated quota)") as step:
            self.report.note("emulated-quota")
            fits = self._preflight(environment, quota=total)
            over = self._preflight(environment, quota=total - 1)
            checks = (
                (fits, 0, True, 0),
                (over, 1, False, -1),
            )
            for (code, document), want_code, want_fits, want_spare in checks:
                if (code, document.get("fits"), document.get("spare")) != (
                    want_code,
                    want_fits,
                    want_spare,
                ):
                    raise RehearsalFailedError(
                        f"preflight: expected exit {want_code}, fits {want_fits}, spare "
                        f"{want_spare}; got exit {code}: {json.dumps(document)[:400]}"
                    )
            step.detail = (
                f"quota {total}: fits, 0 to spare (exit 0); quota {total - 1}: 1 over (exit 1)"
            )

    def _preflight(self, environment: str, *, quota: int) -> tuple[int, dict[str, Any]]:
        return self.run_json(
            [
                sys.executable, "-m", "scripts.preflight", "--env", environment,
                "--emulate-quota", str(quota), "--json",
            ],
            what="the preflight",
        )  # fmt: skip
