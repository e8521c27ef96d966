"""scripts/review_diff.py: replacement detection, summaries, baselines, offline `cdk diff`."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from scripts import review_diff
from scripts.review_diff import (
    EndpointReview,
    cdk_diff_replaces_endpoint,
    read_baseline,
    references,
    review_endpoint,
    summary_line,
)
from stacks.config import ENVIRONMENTS
from tests.synth import SNAPSHOT_ENVIRON, SynthesizedApp, synthesize


def endpoint_id(template: dict[str, Any]) -> str:
    logical_id: str
    (logical_id,) = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::SageMaker::Endpoint"
    ]
    return logical_id


@pytest.fixture
def dev(regional_app: SynthesizedApp) -> dict[str, Any]:
    return copy.deepcopy(regional_app.template("dev"))


@pytest.fixture(scope="module")
def dev_with_more_memory(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    changed = (dataclasses.replace(ENVIRONMENTS[0], memory_size_in_mb=3072),)
    app = synthesize(tmp_path_factory.mktemp("more-memory"), SNAPSHOT_ENVIRON, changed)
    return app.template("dev")


def test_identical_templates_have_no_changes(dev: dict[str, Any]) -> None:
    line, review = summary_line("dev", dev, copy.deepcopy(dev))
    assert line == "dev: no changes"
    assert review == EndpointReview("unchanged")


def test_a_memory_change_updates_the_endpoint_in_place(
    dev: dict[str, Any], dev_with_more_memory: dict[str, Any]
) -> None:
    # A real synthesis: the EndpointConfig changes, the Endpoint resource stays identical.
    line, review = summary_line("dev", dev, dev_with_more_memory)
    assert review.kind == "in-place"
    assert line == (
        "dev: Endpoint updated in place (SageMaker::EndpointConfig changed: no downtime); "
        "1 modified, 0 added, 0 removed"
    )


def test_a_new_model_artifact_updates_the_endpoint_in_place(dev: dict[str, Any]) -> None:
    new = copy.deepcopy(dev)
    (model,) = [v for v in new["Resources"].values() if v["Type"] == "AWS::SageMaker::Model"]
    model["Properties"]["PrimaryContainer"]["ModelDataUrl"] = "s3://bucket/other.tar.gz"
    # Only the Model changes in the template; the config follows it through GetAtt ModelName.
    review = review_endpoint(dev, new)
    assert review == EndpointReview("in-place", "SageMaker::Model changed: no downtime")


def test_a_new_endpoint_name_replaces_the_endpoint(dev: dict[str, Any]) -> None:
    new = copy.deepcopy(dev)
    old_name = dev["Resources"][endpoint_id(dev)]["Properties"]["EndpointName"]
    new["Resources"][endpoint_id(new)]["Properties"]["EndpointName"] = "renamed"
    line, review = summary_line("prod", dev, new)
    assert review.interrupts
    assert line == (
        f"prod: WARNING: Endpoint REPLACED — downtime (EndpointName {old_name!r} -> 'renamed')"
    )


def test_dropping_the_endpoint_name_replaces_the_endpoint(dev: dict[str, Any]) -> None:
    new = copy.deepcopy(dev)
    del new["Resources"][endpoint_id(new)]["Properties"]["EndpointName"]
    review = review_endpoint(dev, new)
    assert review.kind == "replaced"
    assert review.detail.endswith("-> (generated)")


def test_a_new_logical_id_replaces_the_endpoint_and_a_kept_name_fails(
    dev: dict[str, Any],
) -> None:
    new = copy.deepcopy(dev)
    old_id = endpoint_id(new)
    new["Resources"]["MovedEndpoint1234"] = new["Resources"].pop(old_id)
    review = review_endpoint(dev, new)
    assert review.kind == "replaced"
    assert f"logical id {old_id} -> MovedEndpoint1234" in review.detail
    assert "makes the deploy fail" in review.detail


def test_an_endpoint_name_built_from_a_changed_resource_replaces_it(dev: dict[str, Any]) -> None:
    old, new = copy.deepcopy(dev), copy.deepcopy(dev)
    for template, suffix in ((old, "a"), (new, "b")):
        template["Resources"]["Suffix"] = {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Value": suffix},
        }
        template["Resources"][endpoint_id(template)]["Properties"]["EndpointName"] = {
            "Fn::Sub": "endpoint-${Suffix.Value}"
        }
    review = review_endpoint(old, new)
    assert review == EndpointReview("replaced", "EndpointName depends on Suffix, which changed")


def test_tags_update_the_endpoint_in_place(dev: dict[str, Any]) -> None:
    new = copy.deepcopy(dev)
    new["Resources"][endpoint_id(new)]["Properties"]["Tags"].append({"Key": "k", "Value": "v"})
    assert review_endpoint(dev, new) == EndpointReview(
        "in-place", "SageMaker::Endpoint changed: no downtime"
    )


def test_unrelated_resources_leave_the_endpoint_unchanged(dev: dict[str, Any]) -> None:
    new = copy.deepcopy(dev)
    new["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
    line, review = summary_line("dev", dev, new)
    assert review == EndpointReview("unchanged")
    assert line == "dev: Endpoint unchanged; 0 modified, 1 added, 0 removed"


def test_deleted_created_and_unreviewed_templates(dev: dict[str, Any]) -> None:
    without = copy.deepcopy(dev)
    del without["Resources"][endpoint_id(without)]
    line, review = summary_line("dev", dev, without)
    assert review.kind == "deleted"
    assert line.startswith("dev: WARNING: Endpoint DELETED (logical id ")
    assert review_endpoint(without, dev).kind == "created"
    line, _ = summary_line("qa", None, dev)
    assert line == f"qa: new template, no reviewed version ({len(dev['Resources'])} resources)"


def test_construct_path_metadata_alone_changes_no_resource(dev: dict[str, Any]) -> None:
    new = copy.deepcopy(dev)
    for resource in new["Resources"].values():
        resource["Metadata"]["aws:cdk:path"] = "Moved/" + resource["Metadata"]["aws:cdk:path"]
    line, review = summary_line("dev", dev, new)
    assert review.kind == "unchanged"
    assert line == "dev: Endpoint unchanged; 0 modified, 0 added, 0 removed"


def test_templates_without_endpoint_report_counts() -> None:
    old = {"Resources": {"A": {"Type": "AWS::SNS::Topic"}}}
    new = {"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}}
    assert summary_line("pipeline", old, new)[0] == "pipeline: 1 modified, 0 added, 0 removed"


def test_references_follow_ref_getatt_and_sub() -> None:
    value = {
        "A": {"Ref": "Role"},
        "B": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
        "C": {"Fn::Sub": "x-${Param}-${AWS::Region}-${Bucket.Arn}-${!Literal}"},
        "D": [{"Ref": "AWS::Partition"}],
    }
    assert references(value) == {"Role", "Config", "Param", "Bucket"}


CDK_DIFF_REPLACE = """Stack SageMakerServerless-dev
Resources
[~] AWS::SageMaker::Endpoint Endpoint/Endpoint Endpoint8024A810 replace
 └─ [~] EndpointName (requires replacement)
[~] AWS::SageMaker::EndpointConfig Endpoint/EndpointConfig EndpointEndpointConfig5871F635 replace
"""
CDK_DIFF_IN_PLACE = """Stack SageMakerServerless-dev
Resources
[~] AWS::SageMaker::EndpointConfig Endpoint/EndpointConfig EndpointEndpointConfig5871F635 replace
 └─ [~] ProductionVariants (requires replacement)
"""


def test_cdk_diff_replace_markers_are_read() -> None:
    assert cdk_diff_replaces_endpoint(CDK_DIFF_REPLACE)
    assert not cdk_diff_replaces_endpoint(CDK_DIFF_IN_PLACE)
    may = "[~] AWS::SageMaker::Endpoint Endpoint/Endpoint Endpoint8024A810 may be replaced\n"
    assert cdk_diff_replaces_endpoint(may)


def test_cdk_diff_marker_alone_makes_it_a_replacement(dev: dict[str, Any]) -> None:
    line, review = summary_line("dev", dev, copy.deepcopy(dev), cdk_says_replace=True)
    assert review.interrupts
    assert "WARNING: Endpoint REPLACED" in line


# --- the command ------------------------------------------------------------------------


def test_main_prints_each_diff_then_one_summary_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], project_root: Path
) -> None:
    names = [*(c.name for c in ENVIRONMENTS), "pipeline"]
    reviewed = {
        name: json.loads((project_root / review_diff.snapshot_path(name)).read_text())
        for name in names
    }
    fresh = copy.deepcopy(reviewed)
    fresh["prod"]["Resources"][endpoint_id(fresh["prod"])]["Properties"]["EndpointName"] = "x"

    def synthesize_into(outdir: Path) -> dict[str, Path]:
        outdir.mkdir()
        paths = {}
        for name, template in fresh.items():
            paths[name] = outdir / f"Stack-{name}.template.json"
            paths[name].write_text(json.dumps(template))
        return paths

    diffed: list[tuple[str, Any]] = []

    def diff(assembly: Path, stack: str, baseline: Path) -> str:
        # Both sides are written with sorted keys, as syrupy stores the snapshots.
        fresh_text = (assembly / f"{stack}.template.json").read_text()
        assert fresh_text == json.dumps(json.loads(fresh_text), indent=1, sort_keys=True)
        assert baseline.read_text() == json.dumps(
            json.loads(baseline.read_text()), indent=1, sort_keys=True
        )
        diffed.append((stack, json.loads(baseline.read_text())))
        return f"(cdk diff of {stack})"

    code = review_diff.main(["--fail-on-replacement"], synthesize_into=synthesize_into, diff=diff)
    out, err = capsys.readouterr()
    assert code == 1
    # What it is waiting for goes to stderr, before each wait; stdout stays the review itself.
    assert err.splitlines()[0].startswith("make review: synthesizing every template")
    assert [line for line in err.splitlines() if "cdk diff" in line] == [
        f"make review: cdk diff Stack-{name} (a few seconds)..." for name in names
    ]
    assert "make review:" not in out
    assert [stack for stack, _ in diffed] == [f"Stack-{name}" for name in names]
    assert [baseline for _, baseline in diffed] == [reviewed[name] for name in names]
    assert "=== prod (Stack-prod) ===\n(cdk diff of Stack-prod)" in out
    summary = out.split("Summary (against the snapshots in the working tree):\n")[1]
    cost_lines = [line for line in summary.splitlines() if ": monthly cost " in line]
    assert [line.split(":")[0] for line in cost_lines] == ["  dev", "  staging", "  prod"]
    assert all("(+0%)" in line and "THRESHOLD" not in line for line in cost_lines)
    assert [line for line in summary.splitlines() if line not in cost_lines] == [
        "  dev: no changes",
        "  staging: no changes",
        "  prod: WARNING: Endpoint REPLACED — downtime (EndpointName "
        f"{reviewed['prod']['Resources'][endpoint_id(reviewed['prod'])]['Properties']['EndpointName']!r}"
        " -> 'x')",
        "  pipeline: no changes",
    ]
    assert review_diff.main(["--summary-only"], synthesize_into=synthesize_into, diff=diff) == 0


def test_main_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert review_diff.main(["--no-such-option"]) == 2
    assert "error: unrecognized arguments" in capsys.readouterr().err


def test_baselines_come_from_a_git_revision(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    path = tmp_path / review_diff.snapshot_path("dev")
    path.parent.mkdir(parents=True)
    path.write_text('{"Resources": {}}')
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "snapshots")
    path.write_text('{"Resources": {"Changed": {}}}')
    assert read_baseline("dev", base="HEAD", root=tmp_path) == {"Resources": {}}
    assert read_baseline("dev", base=None, root=tmp_path) == {"Resources": {"Changed": {}}}
    assert read_baseline("pipeline", base="HEAD", root=tmp_path) is None
    with pytest.raises(review_diff.UsageError, match="'no-such-ref' is not a git revision"):
        read_baseline("dev", base="no-such-ref", root=tmp_path)
    path.write_text("<<<<<<< merge conflict")
    with pytest.raises(review_diff.UsageError, match=r"test_template_snapshot\[dev\].json is not"):
        read_baseline("dev", base=None, root=tmp_path)


@pytest.mark.cli
def test_cdk_diff_runs_offline_and_marks_a_renamed_endpoint(
    regional_app: SynthesizedApp, tmp_path: Path
) -> None:
    reviewed = copy.deepcopy(regional_app.template("dev"))
    reviewed["Resources"][endpoint_id(reviewed)]["Properties"]["EndpointName"] = "old-name"
    renamed = tmp_path / "dev.json"
    renamed.write_text(json.dumps(reviewed))
    same = tmp_path / "same.json"
    same.write_text(regional_app.template_text("dev"))
    # The two CLI runs are independent: run them side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        renamed_output, same_output = pool.map(
            lambda baseline: review_diff.run_cdk_diff(
                regional_app.outdir, "SageMakerServerless-dev", baseline
            ),
            (renamed, same),
        )
    assert "EndpointName (requires replacement)" in renamed_output
    assert cdk_diff_replaces_endpoint(renamed_output)
    assert "There were no differences" in same_output
    assert not cdk_diff_replaces_endpoint(same_output)
