"""The Model Registry scenario: deploy what was approved, then follow a newer approval.

Against the moto server, with the real CDK CLI: register a version of the sample model and
approve it; refresh (scripts/model_registry, in-process, its record in the work directory
instead of cdk.context.json); synth resolves it (registry_app.py); deploy; smoke test (the report
names the version); register and approve a newer version; refresh; the review (``cdk diff``
against the deployed stack) shows the version change; update; smoke test again; destroy. It runs
before the app's stacks are destroyed, so the run's last step (nothing left behind) covers it.
``make review`` itself diffs the app's environments against their snapshots, which name no
package; the scenario's stack is reviewed with ``cdk diff``, the CLI command review is built on.

moto accepts any ModelPackageName at CreateModel (it neither reads the package nor checks its
approval): what is proven is the app's side (resolution, record, template, grants, outputs).
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from scripts.model_registry.context_file import read_context, write_context
from scripts.model_registry.registry import record_versions
from scripts.rehearsal.assembly import read_assembly
from scripts.rehearsal.checks import (
    check_deployed_stack,
    stack_is_gone,
)
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.settings import (
    ACCOUNT,
    CANNED_PREDICTION,
    PROJECT_ROOT,
    REGION,
    STACK_NAME_PREFIX,
)
from scripts.rehearsal.smoke_steps import smoke_command
from scripts.rehearsal.step_runner import StepRunner
from stacks.model_registry import package_source

# The scenario's app (registry_app.py) deploys environment ENVIRONMENT from group GROUP.
RECORD_CONTEXT = "rehearsal:model-registry-record"
GROUP = "rehearsal-churn"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/{GROUP}"
ENVIRONMENT = "registry"
STACK = f"{STACK_NAME_PREFIX}-{ENVIRONMENT}"
OUTPUT_MODEL_PACKAGE = "ModelPackageVersionArn"  # stacks/serverless_stack.py (a test keeps both)
BUCKET = "rehearsal-model-registry"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/rehearsal/xgboost-serving:1"


class RegistrySteps(StepRunner):
    """registry_scenario: every step of the scenario, in order."""

    def registry_scenario(self) -> None:
        import boto3

        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self._clients = {
            name: session.client(name, endpoint_url=self.server.url) for name in ("s3", "sagemaker")
        }
        self._record = self.workdir / "model-registry-record.json"
        stack = STACK
        first = self._register_and_approve(1)
        self._refresh(first, 1)
        assembly = self._synth_resolves(first, 1)
        self._deploy(stack, assembly, first, "CREATE_COMPLETE")
        second = self._register_and_approve(2)
        self._refresh(second, 2, previous=first)
        updated = self._synth_resolves(second, 2)
        self._review_shows(stack, updated, first, second)
        self._deploy(stack, updated, second, "UPDATE_COMPLETE")
        self._destroy(stack, updated)

    def _register_and_approve(self, number: int) -> str:
        with self.step(f"registry: register and approve version {number}") as step:
            s3, sagemaker = self._clients["s3"], self._clients["sagemaker"]
            key = f"churn/v{number}/model.tar.gz"
            if number == 1:
                s3.create_bucket(Bucket=BUCKET)
                sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
            s3.put_object(
                Bucket=BUCKET, Key=key, Body=(PROJECT_ROOT / "model" / "model.tar.gz").read_bytes()
            )
            arn: str = sagemaker.create_model_package(
                ModelPackageGroupName=GROUP,
                ModelApprovalStatus="PendingManualApproval",
                InferenceSpecification={
                    "Containers": [{"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{key}"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )["ModelPackageArn"]
            sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
            step.detail = f"{arn} Approved"
            return arn

    def _refresh(self, expected: str, number: int, *, previous: str | None = None) -> None:
        with self.step(f"registry: refresh records version {number} (latest approved)") as step:
            context = read_context(self._record)
            source = package_source(GROUP_ARN, account=None, region=None)
            assert not isinstance(source, str)
            (recorded,) = record_versions(
                [(ENVIRONMENT, source)],
                client=lambda service, region: self._clients[service],
                context=context,
            )
            write_context(self._record, context)
            if (recorded.arn, recorded.previous_arn) != (expected, previous):
                raise RehearsalFailedError(
                    f"refresh recorded {recorded.arn} (was {recorded.previous_arn}); expected "
                    f"{expected} (was {previous})"
                )
            step.detail = f"{recorded.arn}" + (f" (was {previous})" if previous else "")

    def _synth_resolves(self, arn: str, number: int) -> Path:
        stack = STACK
        assembly = self.workdir / f"cdk.out.registry-{number}"
        with self.step(f"registry: synth resolves version {number}") as step:
            app = f"{shlex.quote(sys.executable)} -m scripts.rehearsal.registry_app"
            self.runner.cdk(
                "synth", "--quiet", "--app", app, "-c", f"{RECORD_CONTEXT}={self._record}",
                "--output", str(assembly),
            )  # fmt: skip
            template = read_assembly(assembly)[stack].template
            referenced = _model_packages(template)
            if referenced != [arn]:
                raise RehearsalFailedError(f"{stack} references {referenced}, expected [{arn}]")
            step.detail = f"Model.PrimaryContainer.ModelPackageName = {arn}"
        return assembly

    def _deploy(self, stack: str, assembly: Path, arn: str, status: str) -> None:
        with self.step(f"registry: deploy {stack} ({arn.rsplit('/', 1)[-1]})") as step:
            template = read_assembly(assembly)[stack].template
            parameters = []
            if status == "UPDATE_COMPLETE":  # moto's update needs it given (notes.py)
                default = template["Parameters"]["BootstrapVersion"]["Default"]
                parameters = ["--parameters", f"BootstrapVersion={default}"]
                self.report.note("bootstrap-parameter")
            self.runner.cdk(
                "deploy", stack, "--app", str(assembly), "--method=direct",
                "--require-approval", "never", *parameters,
            )  # fmt: skip
            self.report.note("direct-deploys")
            outputs = check_deployed_stack(
                self.cloudformation,
                stack_name=stack,
                template=template,
                not_emulated_types=self.server.not_emulated_types(),
                expected_status=status,
                report=self.report,
            )
            if outputs.get(OUTPUT_MODEL_PACKAGE) != arn:
                raise RehearsalFailedError(
                    f"{stack} output {OUTPUT_MODEL_PACKAGE}={outputs.get(OUTPUT_MODEL_PACKAGE)}"
                )
            self.server.set_inference_answer(f"{CANNED_PREDICTION}\n")
            code, smoke = self.run_json(
                smoke_command(stack, warm_invocations=0), what="the smoke test"
            )
            if code != 0 or smoke.get("model_package") != arn:
                raise RehearsalFailedError(
                    f"smoke test of {stack}: exit {code}, model package "
                    f"{smoke.get('model_package')}, error {smoke.get('error')}"
                )
            step.detail = f"{status}; smoke test reports model package {arn}"

    def _review_shows(self, stack: str, assembly: Path, old: str, new: str) -> None:
        with self.step("registry: review shows the version change") as step:
            diff = self.runner.cdk("diff", stack, "--app", str(assembly), "--method=template")
            text = diff.output
            if new not in text or "ModelPackageName" not in text:
                raise RehearsalFailedError(f"cdk diff of {stack} does not show {new}")
            step.detail = f"cdk diff: ModelPackageName {old} -> {new}"

    def _destroy(self, stack: str, assembly: Path) -> None:
        with self.step(f"registry: destroy {stack}") as step:
            self.runner.cdk("destroy", stack, "--app", str(assembly), "--force", check=False)
            if not stack_is_gone(self.cloudformation, stack):
                raise RehearsalFailedError(f"{stack} still exists after cdk destroy")
            step.detail = "stack deleted (the run's last step checks nothing is left behind)"


def _model_packages(template: dict[str, Any]) -> list[str]:
    return [
        str(resource["Properties"]["PrimaryContainer"].get("ModelPackageName"))
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == "AWS::SageMaker::Model"
    ]
