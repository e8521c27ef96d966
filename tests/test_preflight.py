"""The quota preflight (scripts/preflight/) against moto's SageMaker, CloudFormation and STS.

moto 5.2.5 emulates Service Quotas only for the service code ``vpc``: ListServiceQuotas is not
implemented (NotImplementedError in process, HTTP 500 from its server) and
ListAWSDefaultServiceQuotas / GetServiceQuota answer NoSuchResourceException for ``sagemaker``.
So the quota comes from ``--emulate-quota`` (labelled EMULATED), or from a botocore Stubber that
answers the Service Quotas calls with the documented response shape.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.core.models import DEFAULT_ACCOUNT_ID

import stacks.config
from scripts.preflight.cli import main
from stacks.config import ENVIRONMENTS
from stacks.quota import QUOTA_NAME
from tests.smoke_moto import REGION, create_stack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV = ENVIRONMENTS[0]  # max_concurrency 2
CALLER = f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:user/moto"


def serverless_endpoint(name: str, max_concurrency: int) -> None:
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model(
        ModelName=f"{name}-model",
        ExecutionRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5",
            "ModelDataUrl": "s3://bucket/model.tar.gz",
        },
    )
    variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": f"{name}-model"}
    if max_concurrency:
        variant["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": max_concurrency}
    else:  # a real-time endpoint
        variant |= {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    client.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant])
    client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def quota(name: str, code: str, value: float) -> dict[str, Any]:
    return {"ServiceCode": "sagemaker", "QuotaCode": code, "QuotaName": name, "Value": value}


THE_QUOTA = quota(QUOTA_NAME, "L-96300102", 10.0)
NEIGHBOURS = [
    quota("Maximum number of serverless endpoints", "L-00000001", 50.0),
    quota(
        "Maximum total provisioned concurrency that can be allocated across all serverless "
        "endpoints",
        "L-00000002",
        200.0,
    ),
]


class RoutedSession:
    """A boto3 session whose clients are moto's, except the stubbed ones given."""

    def __init__(self, stubbed: dict[str, Any], **kwargs: Any) -> None:
        self.session = boto3.Session(**kwargs)
        self.stubbed = stubbed

    def get_credentials(self) -> Any:
        return self.session.get_credentials()

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.stubbed.get(service) or self.session.client(service, **kwargs)


def service_quotas(*answers: tuple[str, Any]) -> Any:
    """A session factory whose Service Quotas client gives ``answers``: (method, response) for a
    response, (method, "ErrorCode") for an error, in the order the calls are made."""
    client = boto3.client("service-quotas", region_name=REGION)
    stubber = Stubber(client)
    for method, answer in answers:
        if isinstance(answer, str):
            stubber.add_client_error(method, service_error_code=answer, service_message="no")
        else:
            stubber.add_response(method, answer)
    stubber.activate()
    return lambda **kwargs: RoutedSession({"service-quotas": client}, **kwargs)


def run(capsys: pytest.CaptureFixture[str], *args: str, factory: Any = None) -> tuple[int, str]:
    code = main(["--env", "dev", *args], session_factory=factory)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


@pytest.mark.usefixtures("aws")
def test_fits_with_the_quota_found_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    serverless_endpoint("other-a", 4)
    serverless_endpoint("other-b", 3)
    serverless_endpoint("real-time", 0)
    answers = service_quotas(("list_service_quotas", {"Quotas": [*NEIGHBOURS, THE_QUOTA]}))
    code, out = run(capsys, factory=answers)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "Quota preflight: environment 'dev' (stack SageMakerServerless-dev), account "
        f"{DEFAULT_ACCOUNT_ID}, region us-east-1 (AWS_DEFAULT_REGION)"
    )
    assert lines[1] == (
        f"  quota: 10, this account's applied value of {QUOTA_NAME!r} (L-96300102), Service "
        "Quotas 'sagemaker': ListServiceQuotas, found by name"
    )
    assert "    other-a  MaxConcurrency   4  InService" in lines
    assert "    other-b  MaxConcurrency   3  InService" in lines
    assert "  note: 1 real-time endpoint(s) not counted (no serverless concurrency): real-time" in (
        lines
    )
    assert (
        "  after the deploy: 7 (the other endpoints) + 2 (dev's max_concurrency) = 9 of 10" in lines
    )
    assert lines[-1] == "OK: the deploy fits, 1 to spare"


@pytest.mark.usefixtures("aws")
def test_does_not_fit_with_the_numbers_and_the_emulated_quota_labelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    serverless_endpoint("other-a", 6)
    serverless_endpoint("other-b", 3)
    code, out = run(capsys, "--emulate-quota", "10")  # moto's own Service Quotas: no value
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == (
        "  quota: 10, EMULATED (--emulate-quota 10: Service Quotas has no value for this quota "
        "here (ListServiceQuotas: not implemented by this endpoint (an AWS emulator); "
        "ListAWSDefaultServiceQuotas: NoSuchResourceException: This service is not available in "
        "the current Region. Choose a different Region or a different service.); for AWS "
        "emulators only, not an account's quota)"
    )
    assert (
        "  after the deploy: 9 (the other endpoints) + 2 (dev's max_concurrency) = 11 of 10"
        in lines
    )
    assert lines[-1] == (
        "DOES NOT FIT (EMULATED quota): 11 is 1 over the quota of 10; lower dev's "
        "max_concurrency to at most 1 (stacks/config.py), lower other endpoints' MaxConcurrency, "
        "or request a quota increase in Service Quotas"
    )


@pytest.mark.usefixtures("aws")
def test_the_environments_own_endpoint_is_not_counted(capsys: pytest.CaptureFixture[str]) -> None:
    # Counted, dev's current 5 would make 4 + 5 + 2 = 11 > 10; the deploy replaces it: 4 + 2.
    serverless_endpoint("other", 4)
    serverless_endpoint("dev-endpoint-abc", 5)
    create_stack("SageMakerServerless-dev", {"EndpointName": "dev-endpoint-abc"})
    code, out = run(capsys, "--emulate-quota", "10", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["own_endpoint"] == {
        "name": "dev-endpoint-abc",
        "how": "output EndpointName of stack SageMakerServerless-dev",
    }
    assert [(e["name"], e["max_concurrency"]) for e in report["endpoints"]] == [
        ("dev-endpoint-abc", 5),
        ("other", 4),
    ]
    assert (report["in_use_by_others"], report["after_deploy"], report["spare"]) == (4, 6, 4)
    assert report["fits"] is True
    assert report["quota"]["source"] == "emulated"
    assert report["verdict"] == "OK (EMULATED quota): the deploy fits, 4 to spare"
    assert report["error"] is None


@pytest.mark.usefixtures("aws")
def test_without_the_stack_every_endpoint_counts(capsys: pytest.CaptureFixture[str]) -> None:
    serverless_endpoint("dev-endpoint-abc", 5)
    code, out = run(capsys, "--emulate-quota", "6")
    assert code == 1
    assert (
        "  this environment's endpoint: none (stack SageMakerServerless-dev is not deployed "
        "here: nothing is replaced, every endpoint counts)"
    ) in out.splitlines()
    assert "7 is 1 over the quota of 6" in out


@pytest.mark.usefixtures("aws")
def test_the_default_list_is_read_when_no_applied_value_is_listed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = service_quotas(
        ("list_service_quotas", {"Quotas": NEIGHBOURS, "NextToken": "page-2"}),
        ("list_service_quotas", {"Quotas": []}),
        ("list_aws_default_service_quotas", {"Quotas": [quota(QUOTA_NAME, "L-96300102", 1000)]}),
    )
    code, out = run(capsys, "--emulate-quota", "3", factory=answers)
    assert code == 0
    assert (
        f"  quota: 1000, AWS's default value of {QUOTA_NAME!r} (L-96300102), Service Quotas "
        f"'sagemaker': ListAWSDefaultServiceQuotas (ListServiceQuotas: 2 quotas listed, none "
        f"named {QUOTA_NAME!r}), found by name"
    ) in out.splitlines()
    # Service Quotas answered: the emulated value is not used.
    assert "  note: --emulate-quota 3 ignored: Service Quotas returned the quota" in out
    assert "EMULATED" not in out


@pytest.mark.usefixtures("aws")
def test_a_renamed_quota_is_found_by_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    renamed = quota("Total concurrency across all Serverless endpoints", "L-12345678", 8.0)
    answers = service_quotas(("list_service_quotas", {"Quotas": [*NEIGHBOURS, renamed]}))
    code, out = run(capsys, "--json", factory=answers)
    assert code == 0
    report = json.loads(out)
    assert report["quota"] | {"detail": None} == {
        "value": 8,
        "source": "applied",
        "name": "Total concurrency across all Serverless endpoints",
        "code": "L-12345678",
        "found_by": "pattern",
        "detail": None,
    }


@pytest.mark.usefixtures("aws")
def test_quota_missing_is_a_clear_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys)  # moto: no SageMaker quotas, and no --emulate-quota
    assert code == 2
    assert out == (
        f"error: Service Quotas has no quota named {QUOTA_NAME!r} for service 'sagemaker' in "
        "us-east-1 (ListServiceQuotas: not implemented by this endpoint (an AWS emulator); "
        "ListAWSDefaultServiceQuotas: NoSuchResourceException: This service is not available in "
        "the current Region. Choose a different Region or a different service.). Check the name "
        "in the Service Quotas console (its code was L-96300102 in public examples); against an "
        "AWS emulator without SageMaker quotas, pass --emulate-quota N\n"
    )


@pytest.mark.usefixtures("aws")
def test_quota_missing_from_both_lists(capsys: pytest.CaptureFixture[str]) -> None:
    answers = service_quotas(
        ("list_service_quotas", {"Quotas": NEIGHBOURS}),
        ("list_aws_default_service_quotas", {"Quotas": NEIGHBOURS[:1]}),
    )
    code, out = run(capsys, "--json", factory=answers)
    assert code == 2
    report = json.loads(out)
    assert report["fits"] is None
    assert report["error"].startswith(
        f"Service Quotas has no quota named {QUOTA_NAME!r} for service 'sagemaker' in us-east-1 "
        f"(ListServiceQuotas: 2 quotas listed, none named {QUOTA_NAME!r}; "
        f"ListAWSDefaultServiceQuotas: 1 quotas listed, none named {QUOTA_NAME!r})."
    )


def test_no_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out = run(capsys, "--region", "eu-west-1")
    assert code == 2
    assert out.startswith("error: no AWS credentials found (botocore looked in ")


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            "AccessDeniedException",
            f"error: access denied to Service Quotas ListServiceQuotas: the caller ({CALLER}) "
            "needs servicequotas:ListServiceQuotas (AWS said: no)",
        ),
        (
            "ThrottlingException",
            "error: AWS throttled Service Quotas ListServiceQuotas (ThrottlingException) and kept "
            "throttling through 5 attempts with backoff: too many requests in this account and "
            "region right now; run the preflight again in a minute",
        ),
    ],
)
def test_service_quotas_errors_say_what_to_do(
    capsys: pytest.CaptureFixture[str], error: str, expected: str
) -> None:
    code, out = run(
        capsys, "--emulate-quota", "10", factory=service_quotas(("list_service_quotas", error))
    )
    assert code == 2  # an emulated value never stands in for a quota that could not be read
    assert out == expected + "\n"


@pytest.mark.usefixtures("aws")
def test_a_pinned_account_must_match_the_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned = dataclasses.replace(DEV, account="999999999999", region="eu-west-1")
    monkeypatch.setattr(stacks.config, "ENVIRONMENTS", (pinned,))
    code, out = run(capsys, "--emulate-quota", "10")
    assert code == 2
    assert out == (
        f"error: the credentials are for account {DEFAULT_ACCOUNT_ID} ({CALLER}), but environment "
        "'dev' deploys to account 999999999999 (stacks/config.py); use that account's "
        "credentials (--profile)\n"
    )
    code, out = run(capsys, "--region", "us-east-1")
    assert code == 2
    assert "usage: --region us-east-1 disagrees with region='eu-west-1' of environment 'dev'" in out


def test_an_unknown_environment_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--env", "qa"])
    assert code == 2
    assert capsys.readouterr().err == (
        "error: usage: no environment 'qa' in stacks/config.py (environments: dev, staging, prod)\n"
    )


def test_runs_as_a_module_from_the_project_root_and_make_preflight_runs_it() -> None:
    helped = subprocess.run(
        [sys.executable, "-m", "scripts.preflight", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert helped.returncode == 0
    assert "--emulate-quota N" in helped.stdout
    assert "Exit codes: 0 fits, 1 does not fit, 2 the check could not be made." in helped.stdout
    as_path = subprocess.run(
        [sys.executable, "scripts/preflight"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert as_path.returncode == 2
    assert as_path.stderr == "error: from the project root, run: python -m scripts.preflight\n"
    dry_run = subprocess.run(
        ["make", "-n", "preflight", "ENV=dev", "PREFLIGHT_ARGS=--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '-m scripts.preflight --env "dev" --json' in dry_run.stdout


@pytest.mark.usefixtures("aws")
def test_two_quotas_that_could_be_it_are_not_guessed(capsys: pytest.CaptureFixture[str]) -> None:
    candidates = [
        quota("Total concurrency across all serverless endpoints", "L-1", 10.0),
        quota("Total concurrency of serverless endpoints per account", "L-2", 20.0),
    ]
    answers = service_quotas(("list_service_quotas", {"Quotas": [*NEIGHBOURS, *candidates]}))
    code, out = run(capsys, factory=answers)
    assert code == 2
    assert out.startswith(
        f"error: Service Quotas lists no quota named {QUOTA_NAME!r} for 'sagemaker' and several "
        "that could be it: 'Total concurrency across all serverless endpoints' (L-1); "
        "'Total concurrency of serverless endpoints per account' (L-2);"
    )


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("service", "method", "error", "permission"),
    [
        ("cloudformation", "describe_stacks", "AccessDenied", "cloudformation:DescribeStacks"),
        ("sagemaker", "list_endpoints", "AccessDeniedException", "sagemaker:ListEndpoints"),
    ],
)
def test_access_denied_names_the_permission(
    capsys: pytest.CaptureFixture[str], service: str, method: str, error: str, permission: str
) -> None:
    client = boto3.client(service, region_name=REGION)
    stubber = Stubber(client)
    stubber.add_client_error(method, service_error_code=error, service_message="denied")
    stubber.activate()
    code, out = run(
        capsys,
        "--emulate-quota",
        "10",
        factory=lambda **kwargs: RoutedSession({service: client}, **kwargs),
    )
    assert code == 2
    assert f"the caller ({CALLER}) needs {permission} (AWS said: denied)" in out
