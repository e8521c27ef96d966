"""What the pipeline's smoke steps send: a payload file per pipeline, overridable per environment.

The default is the sample model's row (model/smoke-payload.csv); a user's own model with other
features sets its own rows, or every stage's smoke test fails.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from sagemaker_serverless import ServerlessConfigError
from scripts.smoke.payload import DEFAULT_PAYLOAD, MAX_PAYLOAD_BYTES
from stacks.app import build_pipeline
from stacks.config import (
    DEFAULT_SMOKE_PAYLOAD,
    ENVIRONMENTS,
    PROJECT_ROOT,
    SMOKE_PAYLOAD_MAX_BYTES,
    SmokePayload,
    smoke_payload_problems,
    validate_environments,
)
from stacks.pipeline_config import resolve_pipeline
from stacks.pipeline_stack import smoke_test_commands
from tests.synth import new_app
from tests.test_pipeline import buildspec, example_config, pipeline_stages, project_id_of

LIBSVM = SmokePayload(path=Path("tests/data/smoke-payload.libsvm"), content_type="text/libsvm")


def test_the_default_is_the_sample_row_in_a_checked_in_file() -> None:
    assert example_config().smoke_payload == DEFAULT_SMOKE_PAYLOAD
    assert DEFAULT_SMOKE_PAYLOAD.path == Path("model/smoke-payload.csv")
    assert DEFAULT_SMOKE_PAYLOAD.content_type == "text/csv"
    # The same row as the smoke script's own default, and the same size limit.
    assert (PROJECT_ROOT / DEFAULT_SMOKE_PAYLOAD.path).read_text() == DEFAULT_PAYLOAD
    assert SMOKE_PAYLOAD_MAX_BYTES == MAX_PAYLOAD_BYTES
    assert DEFAULT_SMOKE_PAYLOAD.problems() == []


def test_an_environment_overrides_the_pipelines_payload() -> None:
    config = example_config(smoke_payload=LIBSVM)
    own = SmokePayload(path=Path("model/smoke-payload.csv"), content_type="text/csv")
    prod = dataclasses.replace(ENVIRONMENTS[2], smoke_payload=own)
    assert config.smoke_payload_for(ENVIRONMENTS[0]) == LIBSVM
    assert config.smoke_payload_for(prod) == own


def smoke_commands(template: dict[str, Any], environment: str) -> list[str]:
    actions = pipeline_stages(template)[environment]
    (smoke,) = [a for a in actions if a["ActionTypeId"]["Provider"] == "CodeBuild"]
    commands: list[str] = buildspec(template, project_id_of(smoke))["phases"]["build"]["commands"]
    return commands


def test_a_custom_payload_is_what_the_synthesized_smoke_steps_send(tmp_path: Path) -> None:
    own = SmokePayload(path=Path("model/smoke-payload.csv"), content_type="text/csv; charset=utf-8")
    environments = (*ENVIRONMENTS[:2], dataclasses.replace(ENVIRONMENTS[2], smoke_payload=own))
    app = new_app(tmp_path)
    stack = build_pipeline(
        app, environments=environments, pipeline=example_config(smoke_payload=LIBSVM)
    )
    assert stack is not None
    app.synth()
    template = json.loads((tmp_path / f"{stack.artifact_id}.template.json").read_text())
    for environment in ("dev", "staging"):
        prefix = (
            f"python -m scripts.smoke_test --stack SageMakerServerless-{environment} "
            "--region eu-west-1 --profile smoke-test"
        )
        assert smoke_commands(template, environment)[-1] == (
            f"{prefix} --payload tests/data/smoke-payload.libsvm --content-type text/libsvm"
            " --feature-count 10"  # the sample model's, read from the artifact at synth
        )
    prefix = (
        "python -m scripts.smoke_test --stack SageMakerServerless-prod --region eu-west-1 "
        "--profile smoke-test"
    )
    assert smoke_commands(template, "prod")[-1] == (
        f"{prefix} --payload model/smoke-payload.csv --content-type 'text/csv; charset=utf-8'"
        " --feature-count 10"
    )


def test_paths_and_content_types_are_shell_quoted() -> None:
    payload = SmokePayload(path=PROJECT_ROOT / "payloads" / "my rows.csv", content_type="text/csv")
    command = smoke_test_commands(ENVIRONMENTS[0], "eu-west-1", payload)[-1]
    assert command.endswith("--payload 'payloads/my rows.csv' --content-type text/csv")
    # A feature count (unknown for a pickled or S3 model) adds the width check.
    command = smoke_test_commands(ENVIRONMENTS[0], "eu-west-1", payload, feature_count=7)[-1]
    assert command.endswith("--content-type text/csv --feature-count 7")


def big_file(root: Path) -> Path:
    path = root / "big.csv"
    path.write_bytes(b"1" * (SMOKE_PAYLOAD_MAX_BYTES + 1))
    return path


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (
            SmokePayload(path=Path("model/missing.csv")),
            "smoke_payload.path='model/missing.csv' does not exist in the repository",
        ),
        (
            SmokePayload(path=Path("/etc/hostname")),
            "smoke_payload.path='/etc/hostname' is outside the repository",
        ),
        (
            SmokePayload(path=Path("../outside.csv")),
            "smoke_payload.path='../outside.csv' is outside the repository",
        ),
        (SmokePayload(path=Path("model")), "smoke_payload.path='model' is not a file"),
        (
            SmokePayload(path=Path("model/smoke-payload.csv"), content_type="text csv"),
            "smoke_payload.content_type='text csv' is not allowed; use a media type like",
        ),
        (
            "model/smoke-payload.csv",
            "smoke_payload='model/smoke-payload.csv' is not allowed; use SmokePayload(",
        ),
    ],
)
def test_bad_payloads_are_named_with_what_to_do(payload: Any, problem: str) -> None:
    problems = smoke_payload_problems(payload)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem), problems


def test_too_large_empty_and_unreadable_files_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big_file(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "ok.csv").write_text("1,2\n")

    def problems(name: str) -> list[str]:
        return SmokePayload(path=Path(name)).problems(root=tmp_path)

    assert problems("big.csv") == [
        f"path='big.csv' is {SMOKE_PAYLOAD_MAX_BYTES + 1} bytes; SageMaker Serverless accepts at "
        f"most {SMOKE_PAYLOAD_MAX_BYTES} bytes per request"
    ]
    assert problems("empty.csv") == [
        "path='empty.csv' is empty; the smoke step needs at least one row"
    ]
    assert problems("ok.csv") == []

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)  # as root, file modes cannot refuse a read
    assert problems("ok.csv") == ["path='ok.csv' cannot be read: Permission denied"]


def test_an_environments_bad_payload_fails_validation_naming_it() -> None:
    bad = dataclasses.replace(ENVIRONMENTS[0], smoke_payload=SmokePayload(path=Path("nowhere.csv")))
    with pytest.raises(ServerlessConfigError) as caught:
        validate_environments([bad, *ENVIRONMENTS[1:]])
    assert caught.value.problems[0].startswith(
        "environment 'dev': smoke_payload.path='nowhere.csv' does not exist in the repository"
    )


def test_the_pipelines_bad_payload_fails_its_configuration() -> None:
    with pytest.raises(ServerlessConfigError) as caught:
        resolve_pipeline(
            context=lambda key: None,
            environments=ENVIRONMENTS,
            configured=example_config(smoke_payload=SmokePayload(path=Path("/tmp/rows.csv"))),
        )
    assert caught.value.problems == (
        f"smoke_payload.path='/tmp/rows.csv' is outside the repository ({PROJECT_ROOT}): the "
        "pipeline's smoke step has only the repository's files; put the file in it, commit it, "
        "and give its path from the root",
    )
