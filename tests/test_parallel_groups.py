"""The suite runs on pytest-xdist workers with `--dist loadgroup` (dev.py): tests in one xdist_group must
run on one worker, or every worker starts the expensive fixtures that tests/conftest.py groups. pytest 9.2
with pytest-xdist 3.8 silently dropped the groups (pytest-xdist#1386); this catches such a pair."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("xdist")
pytestmark = pytest.mark.slow  # two worker processes start: a few seconds

SUITE_DEADLINE_S = 300  # a hang guard for two workers starting on a busy machine, never a timing

TESTS = """
    import os
    from pathlib import Path

    import pytest

    @pytest.mark.parametrize("n", range(4))
    @pytest.mark.xdist_group("static")
    def test_marked(n):
        Path(os.environ["RECORD"], f"marked-{n}").write_text(os.environ["PYTEST_XDIST_WORKER"])

    @pytest.mark.parametrize("n", range(4))
    def test_grouped_by_the_fixture_it_uses(shared, n):
        Path(os.environ["RECORD"], f"fixture-{n}").write_text(os.environ["PYTEST_XDIST_WORKER"])
"""

# The same hook as tests/conftest.py's: a mark added from the fixture a test uses.
CONFTEST = """
    import pytest

    @pytest.fixture
    def shared():
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(items):
        for item in items:
            if "shared" in item.fixturenames:
                item.add_marker(pytest.mark.xdist_group("dynamic"))
"""


def test_an_xdist_group_runs_on_one_worker(tmp_path: Path) -> None:
    suite, record = tmp_path / "suite", tmp_path / "record"
    suite.mkdir()
    record.mkdir()
    (suite / "test_groups.py").write_text(textwrap.dedent(TESTS))
    (suite / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "--dist",
        "loadgroup",
    ]
    run = subprocess.run(
        [*command, str(suite)],
        cwd=suite,
        env={**_environment(), "RECORD": str(record)},
        capture_output=True,
        text=True,
        timeout=SUITE_DEADLINE_S,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for group in ("marked", "fixture"):
        workers = {path.read_text() for path in record.glob(f"{group}-*")}
        assert len(list(record.glob(f"{group}-*"))) == 4
        assert len(workers) == 1, f"the {group} group ran on {sorted(workers)}"


def _environment() -> dict[str, str]:
    # The inner run is a pytest of its own, not a worker of this one.
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
