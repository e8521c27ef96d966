"""The drift step: change an endpoint behind CloudFormation's back, and see the smoke script say so.

After the deploys, the endpoint is moved to a hand-made endpoint config (same model, 4096 MB, or
5120 where the stack has 4096) with SageMaker's UpdateEndpoint, as a person with console access or
a rolled-back update would leave it. The smoke script's live-configuration check must exit 3 and
name exactly two rows: the endpoint config and the memory. Then the endpoint is put back on the
stack's config, the smoke script passes again, and the hand-made config is deleted (the leftovers
check at the end would find it). moto has no UpdateEndpoint: the rehearsal's moto server emulates
it (note ``update-endpoint``).
"""

from __future__ import annotations

from typing import Any

from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.settings import CANNED_PREDICTION
from scripts.rehearsal.smoke_steps import smoke_command
from scripts.rehearsal.step_runner import StepRunner

HAND_MADE_CONFIG = "rehearsal-hand-made-config"
HAND_MADE_MEMORY_MB = 4096
EXIT_DRIFT = 3
EXPECTED_DRIFT_ROWS = {"endpoint config", "AllTraffic MemorySizeInMB"}


class DriftSteps(StepRunner):
    """drift_detected: the "drift detected" step and its undo."""

    def drift_detected(self, stack_name: str) -> None:
        endpoint = self.endpoint_names[stack_name]
        with self.step(f"change {stack_name}'s endpoint behind CloudFormation") as step:
            stack_config = self.sagemaker.describe_endpoint(EndpointName=endpoint)[
                "EndpointConfigName"
            ]
            (variant,) = self.sagemaker.describe_endpoint_config(EndpointConfigName=stack_config)[
                "ProductionVariants"
            ]
            stack_memory = variant["ServerlessConfig"]["MemorySizeInMB"]
            hand_made_memory = HAND_MADE_MEMORY_MB if stack_memory != HAND_MADE_MEMORY_MB else 5120
            self.sagemaker.create_endpoint_config(
                EndpointConfigName=HAND_MADE_CONFIG,
                ProductionVariants=[
                    {
                        "VariantName": variant["VariantName"],
                        "ModelName": variant["ModelName"],
                        "ServerlessConfig": {
                            **variant["ServerlessConfig"],
                            "MemorySizeInMB": hand_made_memory,
                        },
                    }
                ],
            )
            self.sagemaker.update_endpoint(
                EndpointName=endpoint, EndpointConfigName=HAND_MADE_CONFIG
            )
            step.detail = f"UpdateEndpoint {endpoint} -> {HAND_MADE_CONFIG} ({hand_made_memory} MB)"
        with self.step(f"smoke test {stack_name}: drift detected") as step:
            code, report = self._smoke_json(stack_name)
            rows = (report.get("config_check") or {}).get("rows") or []
            drifted = {row["check"]: row for row in rows if row.get("status") == "drift"}
            for row in drifted.values():
                self.say(
                    f"      drift: {row['check']}: expected {row['expected']}, live {row['live']}"
                )
            if code != EXIT_DRIFT or set(drifted) != EXPECTED_DRIFT_ROWS:
                raise RehearsalFailedError(
                    f"expected exit {EXIT_DRIFT} with drift in {sorted(EXPECTED_DRIFT_ROWS)}; got "
                    f"exit {code} with drift in {sorted(drifted)}: {report.get('error')}"
                )
            memory = drifted["AllTraffic MemorySizeInMB"]
            if (memory["expected"], memory["live"]) != (str(stack_memory), str(hand_made_memory)):
                raise RehearsalFailedError(f"memory row: {memory}")
            if drifted["endpoint config"]["live"] != HAND_MADE_CONFIG:
                raise RehearsalFailedError(f"endpoint config row: {drifted['endpoint config']}")
            step.detail = (
                f"exit {code}; drift: endpoint config (live {HAND_MADE_CONFIG}), MemorySizeInMB "
                f"(expected {memory['expected']}, live {memory['live']})"
            )
        with self.step(f"undo: {stack_name}'s endpoint back on the stack's config") as step:
            self.sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=stack_config)
            code, report = self._smoke_json(stack_name)
            if code != 0:
                raise RehearsalFailedError(
                    f"after the undo the smoke test exits {code}: {report.get('error')}"
                )
            self.sagemaker.delete_endpoint_config(EndpointConfigName=HAND_MADE_CONFIG)
            step.detail = f"smoke test exit 0 on {stack_config}; {HAND_MADE_CONFIG} deleted"

    def _smoke_json(self, stack_name: str) -> tuple[int, dict[str, Any]]:
        self.server.set_inference_answer(f"{CANNED_PREDICTION}\n")
        return self.run_json(smoke_command(stack_name, warm_invocations=0), what="the smoke test")
