"""Every command in README.md's ```bash blocks can run here, and something exercises it.

Each command is a `make` target of the Makefile (with variables the Makefile reads), a
``python -m scripts.<module>`` that exists (the smoke script's options parsed by its own parser),
an ``npx cdk`` subcommand on a stack the app defines, ``source .venv/bin/activate``, or a ``curl``
to the local server, replayed here against the same app ``make serve`` runs, with the answer the
README's comment promises. ``EXERCISED_BY`` names, for each command, the tests or the
``make rehearse`` steps that run it; their names must exist.
"""

from __future__ import annotations

import codecs
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.test import Client

from scripts.local_endpoint.app import create_app
from scripts.smoke.errors import UsageError
from scripts.smoke.options import parse_options
from stacks.config import ENVIRONMENTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
README = PROJECT_ROOT / "README.md"
MAKEFILE = PROJECT_ROOT / "Makefile"

STACKS = frozenset({config.stack_name for config in ENVIRONMENTS} | {"SageMakerServerlessPipeline"})
CDK_SUBCOMMANDS = frozenset({"bootstrap", "deploy", "destroy", "diff", "list", "synth"})


@dataclass(frozen=True)
class Command:
    line: int  # where the command starts in README.md
    text: str  # the command, comment removed, continuation lines joined
    comment: str  # what follows ``#`` on its (last) line, or ""

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text)


def _ansi_c_to_single_quotes(text: str) -> str:
    """Bash's $'...' (escapes decoded) as a plain quoted word, which shlex understands."""
    return re.sub(
        r"\$'((?:[^'\\]|\\.)*)'",
        lambda m: shlex.quote(codecs.decode(m.group(1), "unicode_escape")),
        text,
    )


def _split_comment(text: str) -> tuple[str, str]:
    """(command, comment): the first ``#`` after whitespace and outside quotes starts a comment."""
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return text[:index].strip(), text[index + 1 :].strip()
    return text.strip(), ""


def readme_commands(text: str) -> list[Command]:
    commands: list[Command] = []
    fence: str | None = None
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if fence is None:
            if stripped.startswith("```"):
                fence = stripped[3:].strip()
            continue
        if stripped.startswith("```"):
            fence = None
            continue
        if fence != "bash" or (not pending and (not stripped or stripped.startswith("#"))):
            continue
        if not pending:
            start = number
        pending.append(line)
        if line.rstrip().endswith("\\") and not _split_comment(line)[1]:
            continue
        joined = " ".join(part.rstrip().removesuffix("\\").strip() for part in pending)
        command, comment = _split_comment(_ansi_c_to_single_quotes(joined))
        commands.append(Command(start, command, comment))
        pending = []
    return commands


COMMANDS = readme_commands(README.read_text())


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):(?!=)", MAKEFILE.read_text(), re.MULTILINE))


def _make_problems(words: list[str]) -> list[str]:
    makefile = MAKEFILE.read_text()
    problems: list[str] = []
    for word in words[1:]:
        name, is_variable, _ = word.partition("=")
        if is_variable and f"$({name})" not in makefile:
            problems.append(f"the Makefile reads no variable {name}")
        elif not is_variable and word not in makefile_targets():
            problems.append(f"the Makefile has no target {word!r}")
    return problems


def _module_problems(words: list[str]) -> list[str]:
    module = words[2]
    relative = Path(*module.split("."))
    if not (
        (PROJECT_ROOT / relative).with_suffix(".py").is_file()
        or (PROJECT_ROOT / relative / "__main__.py").is_file()
    ):
        return [f"no module {module} in the project"]
    if module == "scripts.smoke_test":
        try:
            parse_options(words[3:])
        except UsageError as error:
            return [f"the smoke script refuses its options: {error}"]
    return []


def problems_running(command: Command) -> list[str]:
    """Why ``command`` could not run as written in this repository (empty when it can)."""
    words = command.words
    problems = [
        f"{word!r} is not a stack of the app ({sorted(STACKS)})"
        for word in words
        if word.startswith("SageMakerServerless") and word not in STACKS
    ]
    program = words[0]
    if program == "make":
        problems += _make_problems(words)
    elif program in ("python", ".venv/bin/python") and words[1:2] == ["-m"]:
        problems += _module_problems(words)
    elif program == "npx":
        if words[1:2] != ["cdk"] or words[2] not in CDK_SUBCOMMANDS:
            problems.append(f"not an `npx cdk` command of {sorted(CDK_SUBCOMMANDS)}")
    elif program == "source":
        if not (PROJECT_ROOT / words[1]).is_file():
            problems.append(f"{words[1]} does not exist (run `make setup`)")
    elif program != "curl":  # replayed by test_the_curl_examples_answer_what_the_readme_says
        problems.append("not a make target, python -m scripts.<module>, npx cdk, source or curl")
    return problems


# What runs each README command. "tests/<file>.py::<test>" is a test of the suite; "rehearsal:
# <step>" a step of `make rehearse` (its label as written in scripts/rehearsal/), which
# tests/test_rehearsal.py::test_rehearsal_end_to_end runs in `make test`. Patterns match the whole
# command; each command matches exactly one.
EXERCISED_BY: dict[str, tuple[str, ...]] = {
    # The pipeline's build runs `make test` then `make synth`; the suite is `make test` itself.
    r"make synth": (
        "tests/test_pipeline.py::test_synth_step_runs_the_readme_commands",
        "tests/test_cdk_cli.py::test_cli_synth_matches_the_snapshots_in_process_synth",
        "rehearsal: cdk synth (app.py)",
    ),
    r"make test": ("tests/test_pipeline.py::test_synth_step_runs_the_readme_commands",),
    r"make serve( MODEL=\S+)?( PORT=\d+)?": (
        "tests/test_serve_local.py::test_banner_names_the_url_the_image_and_the_model",
        "tests/test_serve_local.py::test_answers_over_http_as_the_container",
    ),
    r"curl .* http://127\.0\.0\.1:8080/invocations": (
        "tests/test_readme_commands.py::test_the_curl_examples_answer_what_the_readme_says",
    ),
    r"\.venv/bin/python -m scripts\.smoke_test --local-url \S+": (
        "tests/test_serve_local.py::test_smoke_script_passes_against_the_local_server",
    ),
    r"make review": (
        "tests/test_review_diff.py::test_main_prints_each_diff_then_one_summary_line_each",
    ),
    r"make review REVIEW_ARGS=.*--base.*": (
        "tests/test_review_diff.py::test_baselines_come_from_a_git_revision",
    ),
    r"make snapshot-update": ("tests/test_snapshots.py::test_template_snapshot",),
    r"make rehearse": ("tests/test_rehearsal.py::test_rehearsal_end_to_end",),
    r"npx cdk bootstrap": ("rehearsal: cdk bootstrap",),
    r"make refresh-model ENV=\w+": (
        "rehearsal: registry: refresh records version {number} (latest approved)",
        "tests/test_model_registry.py::test_refresh_records_the_latest_approved_version",
    ),
    r"make deploy ENV=\w+": (
        "rehearsal: deploy {name}",
        "tests/test_deploy_guards.py::test_exit_codes_of_the_command",
        "tests/test_deploy_guards.py::test_an_endpoint_replacement_is_refused_then_deployed_when_allowed",
    ),
    r"make destroy ENV=\w+": (
        "rehearsal: destroy {name}",
        "tests/test_destroy_guards.py::test_destroy_lists_asks_destroys_and_confirms_gone",
    ),
    r"make size( MODEL=\S+)?( CONCURRENCY=\d+)?": (
        "tests/test_right_size.py::test_make_size_reports_a_truncated_archive_without_a_traceback",
        "tests/test_right_size.py::test_a_real_run_recommends_a_valid_size_and_prints_its_figures",
    ),
    r"make cost": (
        "tests/test_cost.py::test_the_checked_in_files_cover_every_environment",
        "tests/test_docs_charts.py::test_the_readme_cost_chart_matches_the_committed_inputs",
    ),
    r"make sample-model": (
        "tests/test_sample_model.py::test_committed_artifact_is_what_the_script_builds",
    ),
    r"python -m scripts\.smoke_test --stack \S+ --payload \S+ --model \S+": (
        "tests/test_smoke_features.py::test_the_stacks_output_checks_a_fitting_payload",
        "tests/test_smoke_features.py::test_model_reads_the_count_from_the_artifact",
    ),
    r"make synth-pipeline": (
        "tests/test_pipeline.py::test_makefile_example_is_the_tested_example",
        "tests/test_pipeline.py::test_cli_synth_with_the_example_context_writes_the_same_pipeline",
    ),
}


def _test_exists(reference: str) -> bool:
    path, _, name = reference.partition("::")
    file = PROJECT_ROOT / path
    return (
        file.is_file()
        and re.search(rf"^def {re.escape(name)}\(", file.read_text(), re.MULTILINE) is not None
    )


def _rehearsal_step_exists(label: str) -> bool:
    sources = "".join(
        path.read_text() for path in (PROJECT_ROOT / "scripts" / "rehearsal").glob("*.py")
    )
    return f'self.step("{label}")' in sources or f'self.step(f"{label}")' in sources


def test_the_readme_has_commands_to_check() -> None:
    # The extraction itself: a README without them, or a parser that lost them, fails here.
    texts = [command.text for command in COMMANDS]
    for expected in ("make synth", "make test", "make rehearse"):
        assert expected in texts
    assert all(text and not text.endswith("\\") for text in texts)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: f"line{command.line}")
def test_every_command_can_run_here(command: Command) -> None:
    assert problems_running(command) == [], f"README.md:{command.line}: {command.text}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: f"line{command.line}")
def test_every_command_is_exercised_by_a_test_or_the_rehearsal(command: Command) -> None:
    matches = [
        pattern for pattern in EXERCISED_BY if re.fullmatch(pattern, command.text, re.DOTALL)
    ]
    assert len(matches) == 1, (
        f"README.md:{command.line}: {command.text!r} matches {matches}: add it to EXERCISED_BY "
        "with the test or rehearsal step that runs it"
    )


def test_every_mapping_is_used_and_names_what_exists() -> None:
    unused = [
        p for p in EXERCISED_BY if not any(re.fullmatch(p, c.text, re.DOTALL) for c in COMMANDS)
    ]
    assert not unused, f"EXERCISED_BY patterns no README command matches: {unused}"
    missing = [
        reference
        for references in EXERCISED_BY.values()
        for reference in references
        if not (
            _rehearsal_step_exists(reference.removeprefix("rehearsal: "))
            if reference.startswith("rehearsal: ")
            else _test_exists(reference)
        )
    ]
    assert not missing, f"tests or rehearsal steps that do not exist: {missing}"


def test_the_checker_refuses_what_cannot_run() -> None:
    def check(text: str) -> list[str]:
        return problems_running(Command(0, text, ""))

    assert check("make synth") == []
    assert check("make deploy-everything") == ["the Makefile has no target 'deploy-everything'"]
    assert check("make serve MODLE=x") == ["the Makefile reads no variable MODLE"]
    assert check("python -m scripts.no_such_script") == [
        "no module scripts.no_such_script in the project"
    ]
    assert check("npx cdk deploy SageMakerServerless-qa") == [
        f"'SageMakerServerless-qa' is not a stack of the app ({sorted(STACKS)})"
    ]
    assert check("npx cdk wat") == [f"not an `npx cdk` command of {sorted(CDK_SUBCOMMANDS)}"]
    assert check("python -m scripts.smoke_test --stack SageMakerServerless-dev --no-such-flag")
    assert check("aws sagemaker list-endpoints") != []


def test_comments_quotes_and_continuations_are_read_as_bash_does() -> None:
    text = (
        "```bash\n"
        'make review REVIEW_ARGS="--base origin/main" # a comment\n'
        "curl -s --data-binary $'1,2\\n3,4' \\\n"
        "  http://127.0.0.1:8080/invocations   # 1\\n2\\n\n"
        "```\n"
        "```text\nmake not-a-command\n```\n"
    )
    commands = readme_commands(text)
    assert [(c.line, c.words, c.comment) for c in commands] == [
        (2, ["make", "review", "REVIEW_ARGS=--base origin/main"], "a comment"),
        (
            3,
            ["curl", "-s", "--data-binary", "1,2\n3,4", "http://127.0.0.1:8080/invocations"],
            "1\\n2\\n",
        ),
    ]


def _curl_request(words: list[str]) -> tuple[str, dict[str, str], bytes]:
    """(path, headers, body) of a ``curl -s -H ... --data-binary ... URL`` command."""
    headers: dict[str, str] = {}
    body = b""
    url = ""
    rest = iter(words[1:])
    for word in rest:
        if word == "-H":
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "--data-binary":
            body = next(rest).encode()
        elif word.startswith("http://"):
            url = word
        elif word != "-s":
            raise AssertionError(f"a curl option this test does not replay: {word}")
    return re.sub(r"^http://[^/]+", "", url), headers, body


def test_the_curl_examples_answer_what_the_readme_says() -> None:
    curls = [command for command in COMMANDS if command.words[0] == "curl"]
    assert curls, "the README's local-server examples are gone"
    endpoint = create_app(model=PROJECT_ROOT / "model" / "model.tar.gz")
    try:
        client = Client(endpoint)
        for command in curls:
            path, headers, body = _curl_request(command.words)
            response = client.post(path, headers=headers, data=body)
            expected = codecs.decode(command.comment, "unicode_escape")
            answer = response.get_data(as_text=True)
            assert response.status_code == 200, (command.line, answer)
            if headers.get("Accept") == "application/json":
                assert json.loads(answer) == json.loads(expected), command.line
            else:
                assert answer == expected, command.line
    finally:
        endpoint.close()
