"""Starting the app where there is no desktop: one sentence, not Qt's abort."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY and WAYLAND_DISPLAY are Linux's")
def test_no_desktop_is_one_sentence_and_a_failure(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env |= {"ASSISTANT_CONFIG_DIR": str(tmp_path / "config"), "ASSISTANT_RUNTIME_DIR": str(tmp_path / "run")}
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().startswith("No desktop was found")
    assert len(result.stderr.strip().splitlines()) == 1
