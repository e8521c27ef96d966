"""Environments that deploy a Model Registry version: the recorded context, synth, the refresh."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file

from sagemaker_serverless import ServerlessConfigError
from scripts.model_registry.cli import chosen, main, refresh
from scripts.model_registry.context_file import read_context, write_context
from scripts.model_registry.registry import RegistryError
from stacks.app import build_app
from stacks.compliance import add_compliance_checks
from stacks.config import ENVIRONMENTS, EnvironmentConfig
from stacks.model_registry import package_source
from stacks.serverless_stack import MODEL_PACKAGE_TAG, OUTPUT_MODEL_PACKAGE
from tests.model_packages import ACCOUNT, DEPLOYABLE, GROUP, REGION, VERSION_ARN
from tests.synth import SNAPSHOT_ENVIRON, new_app

GROUP_KEY = f"sagemaker-model-package:account={ACCOUNT}:region={REGION}:group={GROUP}"
PROD = next(config for config in ENVIRONMENTS if config.name == "prod")


def _with_package(**changes: Any) -> tuple[EnvironmentConfig, ...]:
    """The app's environments, prod deploying the group's latest approved version."""
    prod = dataclasses.replace(PROD, **({"model_package": GROUP} | changes))
    return tuple(prod if c is PROD else c for c in ENVIRONMENTS)


def _synth(outdir: Path, context: dict[str, Any], **changes: Any) -> Path:
    app = new_app(outdir)
    for key, value in context.items():
        app.node.set_context(key, value)
    stacks = build_app(app, environ=SNAPSHOT_ENVIRON, environments=_with_package(**changes))
    add_compliance_checks(app)  # the five packs: a finding fails the synth
    app.synth()
    return outdir / f"{stacks['prod'].stack_name}.template.json"


@pytest.fixture(scope="module")
def prod_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synth(tmp_path_factory.mktemp("registry"), {GROUP_KEY: DEPLOYABLE.to_json()})


def test_prod_synthesizes_the_recorded_version(prod_template_path: Path) -> None:
    template = json.loads(prod_template_path.read_text())
    (model,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model")
    assert model["Properties"]["PrimaryContainer"]["ModelPackageName"] == VERSION_ARN
    assert template["Outputs"][OUTPUT_MODEL_PACKAGE]["Value"] == VERSION_ARN
    tags = {t["Key"]: t["Value"] for t in model["Properties"]["Tags"]}
    assert tags[MODEL_PACKAGE_TAG] == f"{GROUP}/3"


def test_prod_template_passes_cfn_lint(prod_template_path: Path) -> None:
    matches = lint_file(prod_template_path, config=ManualArgs(regions=[REGION]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def test_missing_record_names_the_refresh_command(tmp_path: Path) -> None:
    with pytest.raises(ServerlessConfigError) as raised:
        _synth(tmp_path, {})
    (problem,) = raised.value.problems
    assert "make refresh-model ENV=prod" in problem
    assert GROUP_KEY in problem


def test_an_unapproved_recorded_version_fails_synth(tmp_path: Path) -> None:
    pending = DEPLOYABLE.to_json() | {"approval": "PendingManualApproval"}
    with pytest.raises(ServerlessConfigError, match="PendingManualApproval"):
        _synth(tmp_path, {GROUP_KEY: pending})


def test_environment_table_validates_the_new_fields() -> None:
    both = EnvironmentConfig(
        name="x",
        memory_size_in_mb=2048,
        max_concurrency=1,
        model_package=GROUP,
        model_artifact=Path("other/model.tar.gz"),
    )
    assert any("are both set" in p for p in both.problems())
    bad = EnvironmentConfig(
        name="x", memory_size_in_mb=2048, max_concurrency=1, model_package="a b"
    )
    assert any("model_package='a b' is not allowed" in p for p in bad.problems())
    unused = EnvironmentConfig(
        name="x", memory_size_in_mb=2048, max_concurrency=1, allow_unapproved_model_package=True
    )
    assert any("model_package is None" in p for p in unused.problems())


def test_a_version_arn_is_its_own_key_whatever_the_account() -> None:
    source = package_source(VERSION_ARN, account=None, region=None)
    assert not isinstance(source, str)
    assert source.context_key == f"sagemaker-model-package:arn={VERSION_ARN}"
    assert isinstance(package_source(GROUP, account=None, region=None), str)


# --- the refresh, against moto's Model Registry ---------------------------------------------------


def _register(sagemaker: Any, *, approval: str, url: str) -> str:
    response = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelApprovalStatus=approval,
        InferenceSpecification={
            "Containers": [{"Image": DEPLOYABLE.containers[0].image, "ModelDataUrl": url}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    arn: str = response["ModelPackageArn"]
    return arn


@pytest.fixture
def registry(aws: None) -> dict[str, str]:
    """A group with versions 1 (Approved), 2 (Approved, SSE-KMS artifact), 3 (Pending)."""
    s3 = boto3.client("s3", region_name=REGION)
    kms_key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="v1/model.tar.gz", Body=b"1")
    s3.put_object(
        Bucket="models",
        Key="v2/model.tar.gz",
        Body=b"2",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key,
    )
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    v1 = _register(sagemaker, approval="Approved", url="s3://models/v1/model.tar.gz")
    v2 = _register(sagemaker, approval="PendingManualApproval", url="s3://models/v2/model.tar.gz")
    sagemaker.update_model_package(ModelPackageArn=v2, ModelApprovalStatus="Approved")
    v3 = _register(sagemaker, approval="PendingManualApproval", url="s3://models/v1/model.tar.gz")
    return {"v1": v1, "v2": v2, "v3": v3, "kms": kms_key}


def _refresh(context: dict[str, Any], environments: tuple[EnvironmentConfig, ...]) -> list[Any]:
    return refresh(
        chosen(None, environments),
        client=lambda service, region: boto3.client(service, region_name=region),
        caller_account=lambda: ACCOUNT,
        default_region=REGION,
        environ=SNAPSHOT_ENVIRON,
        context=context,
    )


def test_refresh_records_the_latest_approved_version(registry: dict[str, str]) -> None:
    context: dict[str, Any] = {}
    (recorded,) = _refresh(context, _with_package())
    assert recorded.arn == registry["v2"]  # v3 is newer but not approved
    record = context[GROUP_KEY]
    assert record["approval"] == "Approved"
    assert record["status"] == "Completed"
    assert record["artifactKmsKeyArn"] == registry["kms"]
    assert record["artifactBucketRegion"] == REGION
    assert record["containers"][0]["modelDataUrl"] == "s3://models/v2/model.tar.gz"


def test_refresh_follows_a_new_approval(registry: dict[str, str]) -> None:
    context: dict[str, Any] = {}
    _refresh(context, _with_package())
    boto3.client("sagemaker", region_name=REGION).update_model_package(
        ModelPackageArn=registry["v3"], ModelApprovalStatus="Approved"
    )
    (recorded,) = _refresh(context, _with_package())
    assert (recorded.previous_arn, recorded.arn) == (registry["v2"], registry["v3"])
    assert context[GROUP_KEY]["artifactKmsKeyArn"] is None  # v3's artifact is not SSE-KMS


def test_refresh_of_a_group_without_approved_versions_fails(aws: None) -> None:
    boto3.client("sagemaker", region_name=REGION).create_model_package_group(
        ModelPackageGroupName=GROUP
    )
    with pytest.raises(RegistryError, match="no Approved version"):
        _refresh({}, _with_package())


def test_context_file_is_written_deterministically(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_context(first, {"b": 1, GROUP_KEY: DEPLOYABLE.to_json()})
    write_context(second, {GROUP_KEY: DEPLOYABLE.to_json(), "b": 1})
    assert first.read_bytes() == second.read_bytes()
    assert read_context(first)[GROUP_KEY] == DEPLOYABLE.to_json()


def test_refresh_command_refuses_an_environment_without_a_package(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["refresh", "--env", "dev", "--context-file", str(tmp_path / "c.json")])
    assert code == 2
    assert "'dev' name no model_package" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


def test_rehearsal_scenario_names_match_the_stacks() -> None:
    from scripts.rehearsal import registry
    from scripts.rehearsal.registry_app import registry_environment

    assert registry_environment().stack_name == registry.STACK
    assert registry.OUTPUT_MODEL_PACKAGE == OUTPUT_MODEL_PACKAGE
    assert registry_environment().model_package == registry.GROUP_ARN
