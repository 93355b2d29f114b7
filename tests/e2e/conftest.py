"""End-to-end tests: the real app on a private X server (Xvfb) with its own D-Bus and AT-SPI bus.

Each test starts `python -m assistant run` with the tiny random BLIP-2 and `--speech-to DIR`, drives it
with xdotool and `assistant trigger`, and reads what it said from DIR. Skipped where Xvfb, xdotool or
D-Bus are missing (`.ci/run` installs them).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from e2e_harness import ROOT, Desktop, RunningApp, close_text_window, show_text_window, start_desktop

from assistant.bench.xvfb import Xvfb

NEEDED = ("Xvfb", "xdotool", "dbus-daemon")


def pytest_collection_modifyitems(config, items):
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        skip = pytest.mark.skip(reason=f"needs {', '.join(missing)} (apt-get install xvfb xdotool dbus)")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="module")
def desktop(xvfb: Xvfb, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    found = start_desktop(xvfb.display, tmp_path_factory.mktemp("xdg-runtime"))
    yield found
    found.stop()


@pytest.fixture
def text_on_screen(desktop: Desktop) -> Iterator[None]:
    """A window of text over the middle of the screen, so that a description is wanted (an empty screen
    is blank: the app names it instead)."""
    window = show_text_window(desktop)
    yield
    close_text_window(desktop, window)


@pytest.fixture
def start_app(desktop, tiny_model_dir, tmp_path) -> Iterator[Callable[..., RunningApp]]:
    started: list[RunningApp] = []

    def start(
        *extra: str, settings: str = "rate = 300\n", wait_ready: Callable[[RunningApp], None] | None = None
    ) -> RunningApp:
        """Start the app; `wait_ready` waits for it to be ready where "Ready." is not said to the recording."""
        speech_dir = tmp_path / "speech"
        settings_file = tmp_path / "settings.toml"
        settings_file.write_text(settings, encoding="utf-8")
        env = dict(desktop.env)
        env.update(
            ASSISTANT_RUNTIME_DIR=str(tmp_path / "run"),
            ASSISTANT_CONFIG_DIR=str(tmp_path / "config"),
            HF_HUB_OFFLINE="1",
            PYTHONPATH=str(ROOT),
        )
        log = tmp_path / "app.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "--model", str(tiny_model_dir), "--device", "cpu",
             "--precision", "fp32", "--speech-to", str(speech_dir), "--settings", str(settings_file), *extra],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        app = RunningApp(process, speech_dir, env, log)
        started.append(app)
        if wait_ready is not None:
            wait_ready(app)
            return app
        # A hang guard only: on one busy core (CI's machines are up to twice as slow) a start took over 40 s.
        ready = app.wait_utterance(0, timeout=120, what="the spoken 'Ready.'")
        assert ready.text == "Ready.", app.log.read_text()
        return app

    yield start
    for app in started:
        if app.process.poll() is None:
            app.process.send_signal(signal.SIGTERM)
            try:
                app.process.wait(10)
            except subprocess.TimeoutExpired:
                app.process.kill()
                app.process.wait()
                pytest.fail(f"the app did not quit on SIGTERM:\n{app.log.read_text()[-3000:]}")
