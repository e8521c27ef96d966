"""The top-level constructs/ folder must never shadow PyPI's `constructs` (aws-cdk#19301)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import constructs
import sagemaker_serverless


def test_constructs_folder_has_no_init(project_root: Path) -> None:
    assert not (project_root / "constructs" / "__init__.py").exists()


def test_import_constructs_is_the_pypi_package(project_root: Path) -> None:
    location = Path(constructs.__file__).resolve()
    assert project_root / "constructs" not in location.parents
    assert "site-packages" in location.parts
    assert constructs.Construct.__module__.startswith("constructs")
    assert metadata.version("constructs") == "10.8.1"


def test_import_from_project_root_still_finds_pypi_constructs(project_root: Path) -> None:
    # Run from the project root, where sys.path[0] is the folder that holds constructs/.
    code = "import constructs, aws_cdk; print(constructs.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project_root, capture_output=True, text=True, check=True
    )
    assert "site-packages" in result.stdout
    assert str(project_root / "constructs") not in result.stdout


def test_library_is_installed_from_constructs_src_and_typed(project_root: Path) -> None:
    package_dir = Path(sagemaker_serverless.__file__).resolve().parent
    assert package_dir == project_root / "constructs" / "src" / "sagemaker_serverless"
    assert (package_dir / "py.typed").is_file()
    assert metadata.version("sagemaker-serverless-constructs")


def test_jsii_runs_on_the_projects_node(project_root: Path) -> None:
    # Even with the machine's PATH only (no activated venv), app code must not hit Node 20.
    # (The user's HOME keeps jsii's unpacked-module cache warm.)
    code = "from stacks.node_runtime import use_project_node as u\nu()\nimport aws_cdk"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project_root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())},
        check=True,
    )
    assert "end-of-life" not in result.stderr
    assert "This software is currently running on" not in result.stderr


def test_the_artifact_check_imports_no_aws_cdk(project_root: Path) -> None:
    # Scripts (make size) check artifacts without starting jsii's Node.js process or XGBoost.
    code = (
        "import sagemaker_serverless.artifact, sys; "
        "assert 'aws_cdk' not in sys.modules, 'aws_cdk'; "
        "assert 'xgboost' not in sys.modules and 'numpy' not in sys.modules, 'xgboost/numpy'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=project_root, check=True)


def test_the_package_still_exports_every_name(project_root: Path) -> None:
    # Its names load on first use (PEP 562); `from sagemaker_serverless import X` still works.
    code = (
        "import sys, sagemaker_serverless as s; "
        "assert 'aws_cdk' not in sys.modules; "
        "from sagemaker_serverless import *; "
        "assert ServerlessEndpoint.__module__ == 'sagemaker_serverless.endpoint'; "
        "assert sorted(s.__all__) == sorted(n for n in dir(s) if n in s.__all__)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=project_root, check=True)
