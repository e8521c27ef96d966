#!/usr/bin/env python3
"""Show, offline, what a change does to each environment's template and to the pipeline.

    python -m scripts.review_diff                    # against tests/__snapshots__ (working tree)
    python -m scripts.review_diff --base origin/main # against the snapshots of a git revision
    make review                                      # the same as the first line

(from the project root, so that `stacks` and `tests` import)

Synthesizes the app exactly as the snapshot tests do (every environment for account
123456789012/us-east-1, and the README's example pipeline), then for each template prints
`cdk diff --template <last reviewed>` and ends with one summary line each, e.g.

    dev: Endpoint updated in place (SageMaker::EndpointConfig changed: no downtime); ...
    prod: WARNING: Endpoint REPLACED — downtime (EndpointName 'a' -> 'b')
    prod: monthly cost ...; provisioned concurrency 10.7M -> 14.3M GB-s/month (+33%) ABOVE ...

The cost line (scripts/review_cost.py) estimates each environment's month with scripts.cost from
the settings read back from the reviewed and the fresh template, with cost/traffic.json and
cost/prices.json: in money when every price figure is known, else in billed GB-s; a rise of more
than --cost-increase-threshold (a share, default 0.10) is flagged.

An EndpointConfig change never interrupts traffic (CloudFormation creates the new config and
updates the Endpoint in place); replacing the Endpoint (a new EndpointName, or a new logical id)
creates another endpoint: clients lose it until they use the new name, and a replacement that
keeps the same name fails, because CloudFormation creates the new endpoint before deleting the
old one.

Exit codes: 0 reviewed; 1 an Endpoint would be replaced or deleted and --fail-on-replacement was
given, or a cost line is flagged and --fail-on-cost-increase was given; 2 usage or configuration
error (unknown revision, no Node.js, invalid configuration).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts._cli import RaisingArgumentParser

EXIT_OK, EXIT_REPLACED, EXIT_USAGE = 0, 1, 2
EXIT_COST_INCREASE = 1  # like a replacement: a person has to look
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = Path("tests/__snapshots__/test_snapshots")
ENDPOINT = "AWS::SageMaker::Endpoint"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
# The one AWS::SageMaker::Endpoint property whose change requires replacement (CloudFormation
# resource reference: every other property updates with no interruption).
REPLACEMENT_PROPERTIES = ("EndpointName",)
# `cdk diff` marks a resource it will replace: "[~] AWS::SageMaker::Endpoint <path> <id> replace"
# (or "may be replace(d)" when an intrinsic decides).
_CDK_DIFF_ENDPOINT_REPLACED = re.compile(
    r"^\[[~+-]\] AWS::SageMaker::Endpoint \S+ \S+ (may be )?replace", re.MULTILINE
)

Template = Mapping[str, Any]


class UsageError(Exception):
    """Bad arguments or environment (exit code 2)."""


@dataclass(frozen=True)
class EndpointReview:
    """What a template change does to the endpoint(s) of one template."""

    kind: str  # "none", "unchanged", "in-place", "created", "replaced", "deleted"
    detail: str = ""

    @property
    def interrupts(self) -> bool:
        return self.kind in ("replaced", "deleted")


def _resources(template: Template | None, resource_type: str | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = dict((template or {}).get("Resources", {}))
    if resource_type is None:
        return resources
    return {k: v for k, v in resources.items() if v.get("Type") == resource_type}


def _properties(resource: Mapping[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = dict(resource.get("Properties", {}))
    return properties


def _comparable(resource: Mapping[str, Any]) -> Any:
    """``resource`` without its construct-path metadata (which CloudFormation ignores)."""
    metadata = {k: v for k, v in resource.get("Metadata", {}).items() if k != "aws:cdk:path"}
    return {**resource, "Metadata": metadata}


def changed_resources(old: Template | None, new: Template | None) -> set[str]:
    """Logical ids modified, added or removed."""
    before, after = _resources(old), _resources(new)
    modified = {
        k for k in before.keys() & after.keys() if _comparable(before[k]) != _comparable(after[k])
    }
    return modified | (before.keys() ^ after.keys())


def resource_changes(old: Template | None, new: Template | None) -> tuple[int, int, int]:
    """(modified, added, removed) resource counts, ignoring construct-path metadata."""
    before, after = _resources(old), _resources(new)
    both = before.keys() & after.keys()
    modified = sum(1 for k in both if _comparable(before[k]) != _comparable(after[k]))
    return modified, len(after.keys() - before.keys()), len(before.keys() - after.keys())


def references(value: Any) -> set[str]:
    """Logical ids that ``value`` refers to (Ref, Fn::GetAtt, ${Id} in Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", str(text))}
                found |= references(inner[1] if isinstance(inner, list) else None)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return {ref for ref in found if not ref.startswith("AWS::")}


def _dependencies(template: Template | None, start: set[str]) -> set[str]:
    """The resources ``start`` refers to, transitively."""
    resources = _resources(template)
    seen: set[str] = set()
    pending = set(start)
    while pending:
        logical_id = pending.pop()
        for ref in references(resources.get(logical_id, {}).get("Properties", {})):
            if ref in resources and ref not in seen:
                seen.add(ref)
                pending.add(ref)
    return seen


def review_endpoint(old: Template | None, new: Template | None) -> EndpointReview:
    """Whether ``new`` updates the endpoint in place, replaces it, creates or deletes it.

    Computed from the templates: an Endpoint is replaced when its logical id changes or a
    replacement property (EndpointName) changes, also through a reference; it is updated in
    place when anything it uses (its EndpointConfig, and the Model behind that) changes.
    """
    before, after = _resources(old, ENDPOINT), _resources(new, ENDPOINT)
    if not before and not after:
        return EndpointReview("none")
    changed = changed_resources(old, new)
    replaced: list[str] = []
    for logical_id in sorted(before.keys() & after.keys()):
        old_props, new_props = _properties(before[logical_id]), _properties(after[logical_id])
        for name in REPLACEMENT_PROPERTIES:
            if old_props.get(name) != new_props.get(name):
                replaced.append(
                    f"{name} {_show(old_props.get(name))} -> {_show(new_props.get(name))}"
                )
            elif references(new_props.get(name)) & changed:
                depends = ", ".join(sorted(references(new_props.get(name)) & changed))
                replaced.append(f"{name} depends on {depends}, which changed")
    removed, added = sorted(before.keys() - after.keys()), sorted(after.keys() - before.keys())
    if removed and added:
        old_names = {_show(_properties(before[i]).get("EndpointName")) for i in removed}
        new_names = {_show(_properties(after[i]).get("EndpointName")) for i in added}
        detail = f"logical id {', '.join(removed)} -> {', '.join(added)}"
        if old_names & new_names:
            detail += (
                f"; the same EndpointName {', '.join(sorted(old_names & new_names))} makes the "
                "deploy fail (the new endpoint is created before the old one is deleted)"
            )
        replaced.append(detail)
    elif removed:
        return EndpointReview("deleted", f"logical id {', '.join(removed)} removed")
    elif added and not before:
        return EndpointReview("created", f"new endpoint {', '.join(added)}")
    elif added:
        replaced.append(f"another endpoint added: {', '.join(added)}")
    if replaced:
        return EndpointReview("replaced", "; ".join(replaced))
    used = set(after) | _dependencies(new, set(after)) | _dependencies(old, set(before))
    touched = used & changed
    if touched:
        resources = {**_resources(old), **_resources(new)}
        types = sorted({str(resources[i]["Type"]).removeprefix("AWS::") for i in touched})
        return EndpointReview("in-place", f"{', '.join(types)} changed: no downtime")
    return EndpointReview("unchanged")


def _show(value: Any) -> str:
    if value is None:
        return "(generated)"
    return repr(value) if isinstance(value, str) else json.dumps(value, sort_keys=True)


def cdk_diff_replaces_endpoint(diff_output: str) -> bool:
    """Whether `cdk diff` output marks an AWS::SageMaker::Endpoint for replacement."""
    return bool(_CDK_DIFF_ENDPOINT_REPLACED.search(diff_output))


_SUMMARY = {
    "replaced": "WARNING: Endpoint REPLACED — downtime ({detail})",
    "deleted": "WARNING: Endpoint DELETED ({detail})",
    "in-place": "Endpoint updated in place ({detail}); {counts}",
    "created": "Endpoint created ({detail}); {counts}",
    "unchanged": "Endpoint unchanged; {counts}",
    "none": "{counts}",
}


def summary_line(
    name: str, old: Template | None, new: Template | None, *, cdk_says_replace: bool = False
) -> tuple[str, EndpointReview]:
    """One line for ``name``: what happens to its endpoint, or its resource counts."""
    review = review_endpoint(old, new)
    if cdk_says_replace and not review.interrupts:
        review = EndpointReview("replaced", "cdk diff marks the Endpoint for replacement")
    modified, added, removed = resource_changes(old, new)
    if old is None:
        return f"{name}: new template, no reviewed version ({added} resources)", review
    if old == new and not review.interrupts:
        return f"{name}: no changes", review
    counts = f"{modified} modified, {added} added, {removed} removed"
    return f"{name}: " + _SUMMARY[review.kind].format(detail=review.detail, counts=counts), review


# --- reading baselines, synthesizing, running cdk diff ------------------------------------


def snapshot_path(name: str) -> Path:
    return SNAPSHOT_DIR / f"test_template_snapshot[{name}].json"


def read_baseline(name: str, *, base: str | None, root: Path = PROJECT_ROOT) -> Template | None:
    """The last reviewed template of ``name``: the snapshot file, or its version at ``base``."""
    path = snapshot_path(name)
    if base is None:
        file = root / path
        return _parse(file.read_text(), str(path)) if file.is_file() else None
    if shutil.which("git") is None:
        raise UsageError("--base needs git, which was not found")
    result = subprocess.run(
        # cat-file, not show: `git show` takes a missing path for an empty pathspec match.
        ["git", "cat-file", "blob", f"{base}:{path.as_posix()}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return _parse(result.stdout, f"{base}:{path.as_posix()}")
    check = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise UsageError(f"--base {base!r} is not a git revision here")
    return None  # the file did not exist at that revision


def _parse(text: str, where: str) -> Template:
    try:
        template: Template = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{where} is not a JSON template: {error}") from None
    return template


def synthesize(outdir: Path) -> dict[str, Path]:
    """Synthesize as the snapshot tests do; returns each name's fresh template path."""
    from stacks.node_runtime import use_project_node

    use_project_node()
    from jsii.errors import JSIIError

    from sagemaker_serverless import ServerlessConfigError
    from tests.synth import synthesize_pipeline

    try:
        synthesized = synthesize_pipeline(outdir)
    except ServerlessConfigError as error:
        raise UsageError(str(error)) from None
    except JSIIError as error:  # e.g. an unacknowledged cdk-nag error fails the synth
        raise UsageError(f"synthesis failed: {error}") from None
    paths = {
        stage.environment.name: outdir / f"{stage.environment.stack_name}.template.json"
        for stage in synthesized.stack.stages
    }
    paths["pipeline"] = synthesized.template_path
    return paths


def stack_name_of(template_path: Path) -> str:
    return template_path.name.removesuffix(".template.json")


def run_cdk_diff(assembly: Path, stack: str, baseline: Path) -> str:
    """`cdk diff` of ``stack`` in ``assembly`` against ``baseline``, offline; its output."""
    bin_dir = PROJECT_ROOT / ".venv" / "bin"
    npx = shutil.which("npx", path=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if npx is None:
        raise UsageError("npx was not found: run `make setup` first")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "NPM_CONFIG_LOGLEVEL": "error",
    }
    command = [npx, "--no-install", "cdk", "diff", "--app", str(assembly)]
    command += ["--template", str(baseline), "--no-color", stack]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode not in (0, 1):  # 1: differences with --fail (not used here)
        raise UsageError(f"cdk diff failed for {stack}:\n{result.stderr.strip()}")
    return (result.stdout + result.stderr).strip()


# --- command line ----------------------------------------------------------------------


def _threshold(text: str) -> float:
    from scripts.review_cost import parse_threshold

    try:
        return parse_threshold(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        description="Diff the freshly synthesized templates against the last reviewed ones.",
        epilog="Exit codes: 0 reviewed, 1 endpoint replaced with --fail-on-replacement or cost "
        "flagged with --fail-on-cost-increase, 2 usage.",
    )
    parser.add_argument(
        "--base",
        help="compare with the snapshot files at this git revision (default: the working tree)",
    )
    parser.add_argument(
        "--summary-only", action="store_true", help="print only the summary lines (no cdk diff)"
    )
    parser.add_argument(
        "--fail-on-replacement",
        action="store_true",
        help="exit 1 when an Endpoint would be replaced or deleted",
    )
    parser.add_argument(
        "--cost-increase-threshold",
        type=_threshold,
        default=0.10,
        metavar="SHARE",
        help="flag a monthly cost (or billed quantity) rising by more than this share, "
        "0 to 10 (default: %(default)s, i.e. 10%%)",
    )
    parser.add_argument(
        "--fail-on-cost-increase",
        action="store_true",
        help="exit 1 when a cost line is flagged above --cost-increase-threshold",
    )
    parser.add_argument(
        "--traffic",
        type=Path,
        default=Path("cost/traffic.json"),
        help="traffic profile of the cost lines (default: %(default)s)",
    )
    parser.add_argument(
        "--prices",
        type=Path,
        default=Path("cost/prices.json"),
        help="price file of the cost lines (default: %(default)s)",
    )
    return parser


class _CostInputs:
    """cost/traffic.json and cost/prices.json, read once (prices per region on first use)."""

    def __init__(self, traffic: Path, prices: Path) -> None:
        from scripts.cost.cli import _resolve
        from scripts.cost.errors import CostInputError
        from scripts.cost.traffic import load_traffic

        self.traffic_path, self.prices_path = traffic, _resolve(prices)
        try:
            self.traffic = load_traffic(_resolve(traffic))
        except CostInputError as error:
            raise UsageError(str(error)) from None

    def line(
        self, name: str, old: Template | None, new: Template | None, threshold: float
    ) -> tuple[str | None, bool]:
        """The cost line of ``name`` (None: no endpoint) and whether it is flagged."""
        from scripts.cost.cli import DEFAULT_REGION
        from scripts.cost.errors import CostInputError
        from scripts.cost.prices import load_prices
        from scripts.review_cost import review_cost
        from stacks.config import ENVIRONMENTS

        configured = {environment.name: environment for environment in ENVIRONMENTS}
        region = getattr(configured.get(name), "region", None) or DEFAULT_REGION
        try:
            prices = load_prices(self.prices_path, region=region)
        except CostInputError as error:
            raise UsageError(str(error)) from None
        return review_cost(
            name=name,
            old=old,
            new=new,
            traffic=self.traffic,
            prices=prices,
            threshold=threshold,
            traffic_path=self.traffic_path,
        )


def _progress(message: str) -> None:
    # stderr: stdout carries the diffs and the summary a reviewer may paste.
    print(f"make review: {message}", file=sys.stderr, flush=True)


def main(
    argv: Sequence[str] | None = None,
    *,
    synthesize_into: Callable[[Path], dict[str, Path]] = synthesize,
    diff: Callable[[Path, str, Path], str] = run_cdk_diff,
) -> int:
    try:
        options = build_parser().parse_args(argv)
        cost = _CostInputs(options.traffic, options.prices)
        with tempfile.TemporaryDirectory(prefix="review-") as work:
            assembly = Path(work) / "cdk.out"
            _progress("synthesizing every template as the snapshot tests do (about 10 s)...")
            fresh = synthesize_into(assembly)
            summaries: list[str] = []
            interrupted = cost_flagged = False
            for name, template_path in fresh.items():
                old = read_baseline(name, base=options.base)
                new = json.loads(template_path.read_text())
                cdk_says_replace = False
                if not options.summary_only:
                    # Both sides with sorted keys, as the snapshots store them: otherwise cdk diff
                    # shows key order inside arrays (e.g. the pipeline's Stages) as changes.
                    template_path.write_text(json.dumps(new, indent=1, sort_keys=True))
                    baseline = Path(work) / f"baseline-{name}.json"
                    baseline.write_text(json.dumps(old or {}, indent=1, sort_keys=True))
                    _progress(f"cdk diff {stack_name_of(template_path)} (a few seconds)...")
                    output = diff(assembly, stack_name_of(template_path), baseline)
                    cdk_says_replace = cdk_diff_replaces_endpoint(output)
                    print(f"=== {name} ({stack_name_of(template_path)}) ===")
                    print(output, end="\n\n")
                line, review = summary_line(name, old, new, cdk_says_replace=cdk_says_replace)
                summaries.append(line)
                cost_line, flagged = cost.line(name, old, new, options.cost_increase_threshold)
                if cost_line is not None:
                    summaries.append(cost_line)
                cost_flagged |= flagged
                interrupted |= review.interrupts
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    against = f"snapshots at {options.base}" if options.base else "snapshots in the working tree"
    print(f"Summary (against the {against}):")
    for line in summaries:
        print(f"  {line}")
    if interrupted and options.fail_on_replacement:
        return EXIT_REPLACED
    if cost_flagged and options.fail_on_cost_increase:
        print("Failing: a monthly cost rose above the threshold (--fail-on-cost-increase)")
        return EXIT_COST_INCREASE
    return EXIT_OK


if __name__ == "__main__":
    if __package__ in (None, ""):  # `python scripts/review_diff.py`: `stacks` would not import
        sys.stderr.write("error: from the project root, run: python -m scripts.review_diff\n")
        sys.exit(2)
    sys.exit(main())
