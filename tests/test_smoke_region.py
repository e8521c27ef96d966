"""The smoke script's region: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's.

Offline: every test gets its own empty AWS configuration (files in tmp_path, no region or profile
variables); moto stands in for AWS where an invocation is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.session
import pytest

from scripts.smoke.cli import main
from scripts.smoke.errors import UsageError
from scripts.smoke.region import ResolvedRegion, resolve_region
from tests.smoke_moto import create_endpoint, queue_answer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An AWS config file that does not exist yet, and no region or profile variables."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    return path


def write_config(path: Path) -> None:
    path.write_text(
        "[default]\nregion = eu-west-1\n\n"
        "[profile staging]\nregion = ap-southeast-2\n\n"
        "[profile bare]\noutput = json\n"
    )


def resolve(region: str | None = None, profile: str | None = None) -> ResolvedRegion:
    return resolve_region(region_option=region, profile_option=profile)


def test_botocore_itself_ignores_aws_region(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Why the script resolves the region itself: were this to change, region.py could go.
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert botocore.session.Session().get_config_variable("region") is None
    assert boto3.Session().region_name is None
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert boto3.Session().region_name == "us-west-2"


@pytest.mark.usefixtures("config_file")
def test_the_option_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert resolve("sa-east-1") == ResolvedRegion(region="sa-east-1", source="--region")


def test_aws_region_before_aws_default_region_and_the_profile(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(config_file)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert resolve() == ResolvedRegion(region="eu-central-1", source="AWS_REGION")


def test_aws_default_region_before_the_profile(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(config_file)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert resolve(profile="staging") == ResolvedRegion(
        region="us-west-2", source="AWS_DEFAULT_REGION"
    )


def test_an_empty_variable_is_skipped(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(config_file)
    monkeypatch.setenv("AWS_REGION", "")
    assert resolve().region == "eu-west-1"


PROFILE_REGIONS = {"default": "eu-west-1", "staging": "ap-southeast-2"}  # write_config's


@pytest.mark.parametrize(
    ("profile_option", "variables", "profile"),
    [
        (None, {}, "default"),
        ("staging", {}, "staging"),
        (None, {"AWS_PROFILE": "staging"}, "staging"),
        # botocore's order: AWS_DEFAULT_PROFILE before AWS_PROFILE; --profile before both.
        (None, {"AWS_DEFAULT_PROFILE": "default", "AWS_PROFILE": "staging"}, "default"),
        ("default", {"AWS_PROFILE": "staging"}, "default"),
    ],
)
def test_the_profiles_region_from_aws_config_file(
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    profile_option: str | None,
    variables: dict[str, str],
    profile: str,
) -> None:
    write_config(config_file)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert resolve(profile=profile_option) == ResolvedRegion(
        region=PROFILE_REGIONS[profile], source=f"profile {profile!r} in {config_file}"
    )


def test_a_region_in_the_credentials_file_counts_as_botocore_reads_it(config_file: Path) -> None:
    credentials = config_file.with_name("credentials")
    credentials.write_text(
        "[ci]\naws_access_key_id = x\naws_secret_access_key = y\nregion = il-central-1\n"
    )
    assert resolve(profile="ci").region == "il-central-1"


@pytest.mark.parametrize(
    ("profile", "setup", "reason"),
    [
        (None, "none", "no such file"),
        ("bare", "config", "the profile sets no region"),
        ("missing", "config", "no such profile there or in "),
    ],
)
def test_no_region_names_every_source_tried(
    config_file: Path, profile: str | None, setup: str, reason: str
) -> None:
    if setup == "config":
        write_config(config_file)
    with pytest.raises(UsageError) as caught:
        resolve(profile=profile)
    message = str(caught.value)
    shown = profile or "default"
    assert message.startswith(
        "no AWS region: tried --region (not given), AWS_REGION (not set), "
        f"AWS_DEFAULT_REGION (not set), region of profile {shown!r} in {config_file} ({reason}"
    )
    assert "Pass --region, set AWS_REGION" in message


def test_a_config_file_that_does_not_parse_is_a_usage_error(config_file: Path) -> None:
    config_file.write_text("[default\nregion = eu-west-1\n")
    with pytest.raises(UsageError, match="cannot read the AWS configuration"):
        resolve()


@pytest.mark.usefixtures("aws")
def test_aws_region_alone_reaches_the_endpoint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The reported bug: only AWS_REGION set gave "no AWS region" and exit 2.
    create_endpoint()
    queue_answer("151.25\n")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["--endpoint-name", "smoke-endpoint", "--json", "--warm-invocations", "0"]) == 0
    out = capsys.readouterr().out
    assert '"region": "us-east-1"' in out
    assert '"region_source": "AWS_REGION"' in out


def run_script(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The script in a real process with an empty AWS configuration: what a new user sees."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-m", "scripts.smoke_test", "--endpoint-name", "x"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_a_process_with_only_aws_region_gets_past_the_region(tmp_path: Path) -> None:
    result = run_script(tmp_path, AWS_REGION="eu-west-1")
    assert result.returncode == 2
    assert "no AWS credentials found" in result.stderr
    assert "no AWS region" not in result.stderr


def test_a_process_without_any_region_names_what_it_tried(tmp_path: Path) -> None:
    result = run_script(tmp_path)
    assert result.returncode == 2
    assert (
        "no AWS region: tried --region (not given), AWS_REGION (not set), AWS_DEFAULT_REGION "
        f"(not set), region of profile 'default' in {tmp_path / 'none'} (no such file)"
    ) in result.stderr
    assert "Traceback" not in result.stderr
