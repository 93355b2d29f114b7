"""Helpers for the end-to-end tests: a desktop session on a private X display, the running app, and what
it said."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fixtures.desktops import start_session_bus, stop_process

ROOT = Path(__file__).resolve().parents[2]
TEXT_WINDOW = Path(__file__).with_name("text_window.py")
AT_SPI_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
A11Y_TREE = ROOT.parent / "shared" / "tools" / "a11y-tree"  # the team's reader of the accessibility tree


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.1) -> object:
    """Poll `condition` until it is true; fail the test saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


# Debian's Python, where pyatspi is: AT-SPI listeners run there, the app's venv has no pyatspi.
SYSTEM_PYTHON = Path("/usr/bin/python3")


@contextlib.contextmanager
def atspi_listener(script: str, env: dict[str, str], folder: Path) -> Iterator[Path]:
    """Runs `script` (an AT-SPI listener printing one JSON line for each event, a first one once it
    listens) in Debian's Python; yields the file its lines go to, once it listens. Skips the test where
    pyatspi is missing."""
    heard, errors = folder / "heard.jsonl", folder / "listener.log"
    with heard.open("w") as out, errors.open("w") as err:
        listener = subprocess.Popen([str(SYSTEM_PYTHON), "-c", script], env=env, stdout=out, stderr=err)
    try:
        wait_for(lambda: heard.read_text() or listener.poll() is not None, 15, "the AT-SPI listener to start")
        if not heard.read_text():
            if "pyatspi is missing" in errors.read_text():
                pytest.skip("python3-pyatspi is not installed")
            pytest.fail(f"the AT-SPI listener stopped: {errors.read_text()}")
        yield heard
    finally:
        listener.kill()
        listener.wait()


@dataclass
class Desktop:
    """A private X display, D-Bus session and accessibility bus."""

    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        """End its processes, the last started first."""
        for process in reversed(self.processes):
            stop_process(process)


def start_desktop(display: str, runtime_dir: Path) -> Desktop:
    """The X `display` (the shared `xvfb` fixture's) with its own D-Bus session and, where installed,
    the accessibility bus."""
    env = dict(os.environ)
    env.update(
        DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1", QT_ACCESSIBILITY="1"
    )
    env.pop("WAYLAND_DISPLAY", None)
    runtime_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(runtime_dir, 0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime_dir)
    dbus, env["DBUS_SESSION_BUS_ADDRESS"] = start_session_bus(env)
    found = Desktop(env, [dbus])
    if AT_SPI_LAUNCHER.exists():
        found.processes.append(
            subprocess.Popen(
                [str(AT_SPI_LAUNCHER), "--launch-immediately"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return found


def show_text_window(desktop: Desktop) -> subprocess.Popen:
    """A window of text over the middle of the desktop's screen (an empty screen is blank, and the app
    names it instead of describing it); ended with the desktop, or by the caller."""
    window = subprocess.Popen(
        [sys.executable, str(TEXT_WINDOW)], env=desktop.env, stdout=subprocess.PIPE, text=True
    )
    desktop.processes.append(window)
    assert window.stdout is not None
    assert window.stdout.readline().strip() == "ready"
    return window


def accessible_trees(app: RunningApp) -> list[dict]:
    """The app's windows as a screen reader sees them (a11y-tree over AT-SPI), one tree a window;
    skipped where the system's pyatspi is missing."""
    done = app.run(
        "/usr/bin/python3", str(A11Y_TREE), "--app", "assistant", "--json", "--wait", "10", timeout=60
    )
    if done.returncode != 0 and "pyatspi is missing" in done.stderr:
        pytest.skip("python3-pyatspi is not installed")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def close_text_window(desktop: Desktop, window: subprocess.Popen) -> None:
    window.terminate()
    window.wait(10)
    desktop.processes.remove(window)


@dataclass
class Utterance:
    number: int
    text: str
    wav: Path

    def peak(self) -> int:
        """The loudest sample of the recording (0 for silence)."""
        with wave.open(str(self.wav), "rb") as recording:
            width = recording.getsampwidth()
            frames = recording.readframes(recording.getnframes())
        if width != 2 or not frames:
            return max(frames, default=0)
        samples = memoryview(frames).cast("h")
        return max((abs(s) for s in samples), default=0)


@dataclass
class RunningApp:
    process: subprocess.Popen
    speech_dir: Path
    env: dict[str, str]
    log: Path

    def run(self, *command: str, timeout: float = 20, check: bool = False) -> subprocess.CompletedProcess:
        """Run a command on the app's desktop, with its runtime and config folders."""
        return subprocess.run(
            command, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=check
        )

    def key(self, *keys: str) -> None:
        self.run("xdotool", "key", "--delay", "60", *keys, check=True)

    def type(self, text: str) -> None:
        self.run("xdotool", "type", "--delay", "40", text, check=True)

    def wait_window(self, name: str, timeout: float = 15) -> str:
        """The X window id of a visible window whose title contains `name`."""

        def find():
            return self.run("xdotool", "search", "--onlyvisible", "--name", name).stdout.split()

        self.check_alive()
        return wait_for(find, timeout, f"a window named {name!r}")[0]  # type: ignore[index]

    def playing(self) -> list[Path]:
        """Recordings begun but not finished (their .txt is written at the end)."""
        return [
            wav for wav in sorted(self.speech_dir.glob("[0-9]*.wav")) if not wav.with_suffix(".txt").exists()
        ]

    def utterances(self) -> list[Utterance]:
        """Finished utterances (their .txt is written when the recording is complete), in order."""
        found = []
        for text_file in sorted(self.speech_dir.glob("[0-9]*.txt")):
            wav = text_file.with_suffix(".wav")
            if wav.exists():
                found.append(
                    Utterance(int(text_file.stem), text_file.read_text(encoding="utf-8").strip(), wav)
                )
        return found

    def wait_utterance(self, after: int, timeout: float = 20, what: str = "an utterance") -> Utterance:
        """The first utterance numbered above `after`."""

        def newer():
            return next((u for u in self.utterances() if u.number > after), None)

        self.check_alive()
        return wait_for(newer, timeout, what)  # type: ignore[return-value]

    def last_number(self) -> int:
        done = self.utterances()
        return done[-1].number if done else 0

    def trigger(self, action: str) -> None:
        result = self.run(sys.executable, "-m", "assistant", "trigger", action)
        assert result.returncode == 0, result.stderr

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the app exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")

    def cues(self) -> list[str]:
        path = self.speech_dir / "cues.log"
        return [line.split()[1] for line in path.read_text().splitlines()] if path.exists() else []
