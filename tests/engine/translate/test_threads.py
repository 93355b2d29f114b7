"""PyTorch's OpenMP threads wait passively in the app's processes (libgomp reads OMP_WAIT_POLICY once, when
torch loads): importing the package sets it before torch, and a user's own setting wins. Spinning threads
made one translated sentence take 15 to 34 s on a busy processor (docs/translation.md)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HANG_GUARD = 120  # seconds; only against a hang, never a measurement


def spin_count(policy: str | None) -> str:
    """GOMP_SPINCOUNT as libgomp set it when torch loaded after `import assistant` (0: passive)."""
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    env["OMP_DISPLAY_ENV"] = "VERBOSE"  # libgomp prints its settings to stderr as it starts
    done = subprocess.run(
        [sys.executable, "-c", "import assistant, torch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=True,
    )
    lines = [line.strip() for line in done.stderr.splitlines() if "GOMP_SPINCOUNT" in line]
    assert lines, done.stderr[-2000:]
    return lines[0].split("=", 1)[1].strip().strip("'")


def test_importing_the_package_makes_torchs_threads_wait_passively() -> None:
    assert spin_count(None) == "0"


@pytest.mark.parametrize("policy", ["ACTIVE", ""])
def test_a_users_own_wait_policy_wins(policy: str) -> None:
    assert spin_count(policy) != "0"
