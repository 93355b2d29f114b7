"""Two monitors on a real headless sway 1.7: HEADLESS-1 (800 x 600) with one foot window, and HEADLESS-2
(1280 x 960 pixels at scale 2, to its right) with another, focused, as where the user works on the second
monitor. The screen is that monitor alone, at its own scale (grim -o, and the real xdg-desktop-portal's
picture of both cut to it); the focused window there is found and grabbed in the layout's logical pixels;
the real app's `read-text` and `describe-screen` say its words and name it, and none of the other's;
its region overlay opens over that monitor.

Then the accessibility bus (AT-SPI) names the active window where sway's IPC is not asked (as on GNOME):
a Qt window on the a11y bus, focused by sway."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.desktops import start_session_bus, stop_process
from sway_harness import TextWindow, running_sway, swaymsg
from test_region_sway import focused, keys, wait_for
from test_sway_e2e import ROOT, app_on_sway, share_of_words, spoken, wait_said
from test_sway_e2e import on_sway as on_sway  # fixtures, on this module's sway
from test_sway_e2e import wlr_portal as wlr_portal

from assistant.capture import atspi, focused_window, grab_focused_window, grab_screen
from assistant.capture.backends import choose_backend
from assistant.capture.portal_screenshot import PortalScreenshotBackend
from assistant.capture.window import WindowWithoutPlace
from assistant.ocr import read_text

LINES = ["Invoices are due on Friday", "Call the printer about paper", "Lunch moved to the garden"]
TITLE = "Second monitor notes"
OTHER_LINES = ["Zebras graze quietly", "Violins tuned carefully"]
OTHER = "First monitor"
AT_SPI_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
HANG_GUARD = 30.0

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sway() -> Iterator[dict[str, str]]:
    """Two outputs, a foot window on each, the second monitor's focused."""
    outputs = ["resolution 800x600 position 0 0", "resolution 1280x960 position 800 0 scale 2"]
    windows = [TextWindow(OTHER, OTHER_LINES, "HEADLESS-1"), TextWindow(TITLE, LINES, "HEADLESS-2")]
    with running_sway(outputs, windows, focus=TITLE) as client:
        yield client


def words(text: str) -> set[str]:
    return {word.lower().strip(".,:") for word in text.split()}


def only_the_second_monitor(text: str) -> bool:
    """At least 90 % of the second monitor's words, none of the first's."""
    other = {word.lower() for line in OTHER_LINES for word in line.split()}
    return share_of_words(text, LINES) >= 0.9 and not other & words(text)


def test_grim_takes_the_focused_monitor_at_its_own_scale(on_sway) -> None:
    assert choose_backend(preferred="auto")[0].name == "grim"
    screen = grab_screen(
        at=(10, 10)
    )  # the app's idea of the pointer, stale on Wayland, loses to sway's focus
    assert screen.size == (1280, 960)
    assert only_the_second_monitor(read_text(screen).text)


def test_the_focused_window_on_the_second_monitor_is_named_and_grabbed_at_its_scale(on_sway) -> None:
    window, picture = grab_focused_window()
    assert window.title == TITLE
    left, _top, width, height = window.geometry
    assert left >= 800 and picture.size == (2 * width, 2 * height)  # logical pixels, scale 2
    assert only_the_second_monitor(read_text(picture).text)


def test_the_portals_picture_of_both_monitors_is_cut_to_the_focused_one(wlr_portal) -> None:
    screen = PortalScreenshotBackend().grab_screen()
    assert screen.size == (1280, 960)
    assert only_the_second_monitor(read_text(screen).text)


@pytest.fixture
def a11y_bus(on_sway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A private session bus with the accessibility bus on it, in this process's environment; sway's IPC
    not told (as on a desktop without it)."""
    if not AT_SPI_LAUNCHER.exists():
        pytest.skip("needs at-spi2-core's at-spi-bus-launcher")
    env = {**os.environ, **on_sway, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    bus, env["DBUS_SESSION_BUS_ADDRESS"] = start_session_bus(env)
    launcher = subprocess.Popen([str(AT_SPI_LAUNCHER), "--launch-immediately"], env=env)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        yield env
    finally:
        stop_process(launcher)  # type: ignore[arg-type]
        stop_process(bus)


QT_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget
app = QApplication(sys.argv)
window = QWidget()
window.setWindowTitle(sys.argv[1])
QVBoxLayout(window).addWidget(QLabel("Figures for March"))
window.resize(300, 100)
window.show()
app.exec()
"""


def test_the_accessibility_bus_names_the_active_window_where_sway_is_not_asked(
    a11y_bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A native Qt window on the a11y bus, focused by sway; asked without $SWAYSOCK (as on GNOME), the
    focused window is named by its AT-SPI title, and said to lie nowhere known."""
    title = "Budget figures"
    env = {**a11y_bus, "QT_QPA_PLATFORM": "wayland", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}
    swaymsg(a11y_bus, "focus output HEADLESS-1")  # beside the first monitor's window, not over the second's
    window = subprocess.Popen([sys.executable, "-c", QT_WINDOW, title], env=env)
    try:
        monkeypatch.delenv("SWAYSOCK")
        deadline = time.monotonic() + HANG_GUARD

        def asked() -> str | None:
            # A bus that does not answer within the product's one second (the suite on one busy core:
            # the bus's authentication timed out) is asked again: this test is about the name.
            try:
                return atspi.active_window_title()
            except atspi.AtspiError as error:
                return f"no answer: {error}"

        while (found := asked()) != title:  # Qt registers, then sway activates it
            assert window.poll() is None and time.monotonic() < deadline, f"AT-SPI said {found!r}"
            time.sleep(0.1)
        with pytest.raises(WindowWithoutPlace, match=f"^{title} has the focus, but"):
            focused_window()
    finally:
        stop_process(window)  # type: ignore[arg-type]
        swaymsg(a11y_bus, f'[title="^{TITLE}$"] focus')


def test_the_app_reads_describes_and_cuts_a_region_of_the_second_monitor(
    on_sway, tiny_model_dir, tmp_path: Path
) -> None:
    """The real app on Qt's wayland platform. `assistant trigger read-text` and `describe-screen`: the
    window on the second monitor named, at least 90 % of its words said, none of the first monitor's.
    `describe-region`: the overlay (a real Wayland surface) opens full-screen on the monitor that was
    captured, the one sway focuses, and the region chosen by keyboard is cut from that monitor's frame,
    1280 x 960 pixels."""
    if shutil.which("wtype") is None:
        pytest.skip("needs wtype (apt-get install wtype)")
    bus, env, speech, log, command = app_on_sway(on_sway, tiny_model_dir, tmp_path, "wayland")
    # A keyboard on the seat all along, as in test_region_sway.
    keyboard = subprocess.Popen(["wtype", "-s", str(int(HANG_GUARD * 10_000))], env=env)
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def trigger(action: str) -> None:
        done = subprocess.run([sys.executable, "-m", "assistant", "trigger", action], env=env, cwd=ROOT)
        assert done.returncode == 0

    try:
        assert wait_said(speech, 2, app, log)[-1] == "Ready."
        swaymsg(on_sway, f'[title="^{TITLE}$"] focus')  # the user back in their window, beside the app's
        trigger("read-text")
        said = wait_said(speech, 4, app, log)
        assert said[2] == f"Window: {TITLE}."
        assert said[3].startswith("Text on it:") and only_the_second_monitor(said[3]), said
        trigger("describe-screen")
        said = wait_said(speech, 6, app, log)
        assert said[5].startswith("Text on it:") and only_the_second_monitor(said[5]), said

        trigger("describe-region")
        said = wait_said(speech, 7, app, log)[6]
        assert said.endswith("640 by 480 pixels, 320 from the left, 240 from the top."), said  # of 1280 x 960
        overlay = wait_for(
            lambda: (node := focused(env))["name"].startswith("Choose a region") and node,
            "the overlay has no focus",
        )
        second_monitor = {"x": 800, "y": 0, "width": 640, "height": 480}
        assert overlay["rect"] == second_monitor  # not the first monitor, where Qt puts a window by default
        # To the top left corner in steps of 50 frame pixels, then 250 less tall: the second monitor's
        # text, none of the first's.
        keys(env, "-M", "ctrl", *["-k", "Left"] * 7, *["-k", "Up"] * 5, "-M", "shift", *["-k", "Up"] * 5)
        keys(env, "-m", "shift", "-m", "ctrl")
        where = "640 by 230 pixels, 0 from the left, 0 from the top."
        wait_for(lambda: spoken(speech)[-1] == where, "the region was not moved")
        keys(env, "-k", "Return")
        text = wait_for(
            lambda: [said for said in spoken(speech)[7:] if said.startswith("Text on it:")], "no text"
        )
        assert only_the_second_monitor(text[0]), text
    finally:
        stop_process(app)  # type: ignore[arg-type]
        stop_process(bus)
        stop_process(keyboard)  # type: ignore[arg-type]
        swaymsg(on_sway, f'[title="^{TITLE}$"] focus')
