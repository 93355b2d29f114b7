"""`assistant trigger ACTION`: exit codes and messages, in-process and as a real command."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.instance import NOT_RUNNING, TriggerServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="these tests use the POSIX socket channel")

REPO = Path(__file__).resolve().parents[2]


def run_cli(argv: list[str]) -> int:
    return main(argv)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet_desktop: str) -> Path:
    """The channel's folder; and a bus and speech of the test's own, where "not running" is told too."""
    folder = tmp_path / "run"
    monkeypatch.setenv("ASSISTANT_RUNTIME_DIR", str(folder))
    return folder


def test_not_running_says_so_and_exits_1(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["trigger", "describe-screen"]) == 1
    captured = capsys.readouterr()
    assert (
        captured.err.strip() == NOT_RUNNING == "The assistant is not running. Start it with “assistant run”."
    )
    assert captured.out == ""


def test_delivered_exits_0(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    received: queue.Queue[str] = queue.Queue()
    server = TriggerServer(received.put)
    assert server.start()
    try:
        assert run_cli(["trigger", "describe-clipboard"]) == 0
        assert received.get_nowait() == "describe-clipboard"
    finally:
        server.close()
    assert capsys.readouterr().err == ""


def test_refused_action_exits_1_with_a_sentence(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def on_action(action: str) -> None:
        raise RuntimeError("the app is shutting down")

    server = TriggerServer(on_action)
    assert server.start()
    try:
        assert run_cli(["trigger", "ask"]) == 1
    finally:
        server.close()
    err = capsys.readouterr().err.strip()
    assert err == "The assistant could not start ask; its window or speech says why."


def test_unknown_action_is_a_usage_error(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        run_cli(["trigger", "describe-file"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_real_command(folder: Path) -> None:
    env = {**os.environ, "ASSISTANT_RUNTIME_DIR": str(folder), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "assistant", "trigger", "stop"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr.strip(), result.stdout) == (1, NOT_RUNNING, "")

    received: queue.Queue[str] = queue.Queue()
    server = TriggerServer(received.put)
    assert server.start()
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert (result.returncode, result.stderr) == (0, "")
        assert received.get_nowait() == "stop"
    finally:
        server.close()


def test_trigger_command_imports_nothing_heavy() -> None:
    code = (
        "import sys, assistant.cli.hotkeys; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'pynput', 'torch', 'keyboard', 'Xlib'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
