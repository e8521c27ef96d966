"""When a snapshot test fails, say how to accept a deliberate change (imported by conftest.py).

syrupy's own report shows the diff but not this project's command for updating the snapshots, nor
that the update is to be reviewed before it is committed.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

HINT = (
    "If the template change is deliberate, run `make snapshot-update`, then review the diff "
    "(git diff tests/__snapshots__) and commit it; if it is not, the diff above shows what changed."
)
_failed_snapshot_tests = pytest.StashKey[list[str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Any test that uses syrupy's fixture, directly or through another fixture.
    if report.failed and "snapshot" in getattr(item, "fixturenames", ()):
        item.config.stash.setdefault(_failed_snapshot_tests, []).append(item.nodeid)
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    failed = config.stash.get(_failed_snapshot_tests, [])
    if failed:
        terminalreporter.write_sep("=", f"{len(failed)} snapshot test(s) failed", red=True)
        terminalreporter.write_line(HINT)
