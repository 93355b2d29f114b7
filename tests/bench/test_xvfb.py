"""The private X server that the tests and `assistant bench` start: it starts, or fails by its deadline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.bench.xvfb import XvfbError, start_xvfb


def fake_xvfb(folder: Path, body: str) -> Path:
    """An `Xvfb` first on PATH that runs `body` (with $PIDFILE holding its pid); returns the pid file."""
    folder.mkdir(exist_ok=True)
    script = folder / "Xvfb"
    pid_file = folder / "pid"
    script.write_text(f'#!/bin/sh\necho $$ > "{pid_file}"\n{body}\n')
    script.chmod(0o755)
    return pid_file


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_a_started_server_accepts_connections_at_its_size() -> None:
    display_module = pytest.importorskip("Xlib.display", reason="needs python-xlib")
    server = start_xvfb(320, 240)
    try:
        display = display_module.Display(server.display)
        screen = display.screen()
        assert (screen.width_in_pixels, screen.height_in_pixels) == (320, 240)
        display.close()
    finally:
        server.stop()
    assert server.process.poll() is not None


def test_a_server_that_never_reports_is_ended_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = fake_xvfb(tmp_path / "bin", "exec sleep 600")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(XvfbError, match=r"^Xvfb did not start within 0\.5 seconds\.$"):
        start_xvfb(deadline_s=0.5)

    with pytest.raises(ProcessLookupError):  # ended and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)


def test_a_server_that_exits_at_once_fails_without_waiting_for_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_xvfb(tmp_path / "bin", "exit 1")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    with pytest.raises(XvfbError, match="did not start"):
        start_xvfb(deadline_s=600)  # the closed pipe ends the wait: a hang here would be the bug


def test_a_missing_xvfb_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        XvfbError, match=r"^Xvfb is not installed; install it \(Debian: apt-get install xvfb\)\.$"
    ):
        start_xvfb()
