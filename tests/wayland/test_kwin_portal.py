"""Describe the focused window on KDE Plasma's Wayland, end to end on real parts: KWin 5.27 headless
names the window and its frame (a script it runs), the real xdg-desktop-portal with KDE's own backend
(xdg-desktop-portal-kde, which asks KWin for the picture) takes the screenshot, and the app cuts the
window out of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import kwin_harness
import pytest
from fixtures.desktops import stop_process
from kwin_harness import KWinDesktop
from PIL import Image
from test_sway_e2e import ROOT, app_on_sway, wait_said

from assistant.capture import grab_focused_window
from assistant.capture.backends import choose_backend
from assistant.capture.portal_screenshot import PortalScreenshotBackend
from assistant.capture.screen import grab_screen
from assistant.ocr import read_text

pytestmark = pytest.mark.slow
kwin_desktop, kde_portal, on_kwin = kwin_harness.kwin_desktop, kwin_harness.kde_portal, kwin_harness.on_kwin

TEXT = "Revenue grew by twelve percent"


def share_of(text: str) -> float:
    """How many of TEXT's words are in `text`."""
    words = {word.lower().strip(".,") for word in text.split()}
    wanted = TEXT.lower().split()
    return sum(word in words for word in wanted) / len(wanted)


def lit_area(screen: Image.Image) -> tuple[int, int, int, int]:
    """Where anything but KWin's black background is drawn: the one window, as left, top, width, height."""
    box = screen.convert("L").point(lambda value: 255 if value > 16 else 0).getbbox()
    assert box is not None, "the screenshot is all black"
    return box[0], box[1], box[2] - box[0], box[3] - box[1]


def test_the_focused_window_is_cut_from_kdes_screenshot_and_named(
    kde_portal: KWinDesktop, on_kwin: KWinDesktop
) -> None:
    on_kwin.open_window("Quarterly notes", TEXT)
    assert choose_backend()[0].name == "portal"  # KDE: no grim; the Screenshot portal comes first
    window, picture = grab_focused_window()
    assert window.title == "Quarterly notes"
    assert window.spoken_title == "Window: Quarterly notes."
    assert picture.size == window.geometry[2:]
    # The frame KWin named is where the window is drawn on the portal's full screenshot (give or take
    # the decoration's one-pixel outline).
    screen = PortalScreenshotBackend().shoot()
    assert screen.size == kwin_harness.SIZE
    for named, drawn in zip(window.geometry, lit_area(screen), strict=True):
        assert abs(named - drawn) <= 2, (window.geometry, lit_area(screen))
    assert share_of(read_text(picture).text) >= 0.9
    assert not list((kde_portal.folder / "Pictures").iterdir())  # no screenshot left on disk


@pytest.mark.parametrize("kwin_desktop", [{"scale": 2}], indirect=True)
def test_at_a_scale_of_2_the_window_is_cut_at_the_pictures_scale(
    kde_portal: KWinDesktop, on_kwin: KWinDesktop
) -> None:
    """KWin's frame is in logical pixels, KDE's screenshot in device pixels (twice as many each way)."""
    on_kwin.open_window("Quarterly notes", TEXT)
    window, picture = grab_focused_window()
    assert window.title == "Quarterly notes"
    assert picture.size == (2 * window.geometry[2], 2 * window.geometry[3])
    screen = PortalScreenshotBackend().shoot()
    assert screen.size == (2 * kwin_harness.SIZE[0], 2 * kwin_harness.SIZE[1])
    for named, drawn in zip(window.geometry, lit_area(screen), strict=True):  # the outline: 3 pixels a side
        assert abs(2 * named - drawn) <= 8, (window.geometry, lit_area(screen))
    assert share_of(read_text(picture).text) >= 0.9


@pytest.mark.parametrize("kwin_desktop", [{"outputs": 2}], indirect=True)
def test_with_two_monitors_the_screen_described_is_the_active_one(
    kde_portal: KWinDesktop, on_kwin: KWinDesktop
) -> None:
    on_kwin.open_window("Quarterly notes", TEXT)  # KWin opens it on the active monitor, the first
    assert PortalScreenshotBackend().shoot().size == (2 * kwin_harness.SIZE[0], kwin_harness.SIZE[1])
    picture = grab_screen()
    assert picture.size == kwin_harness.SIZE
    assert share_of(read_text(picture).text) >= 0.9


def test_the_app_reads_the_focused_window_on_kde_and_names_it(
    kde_portal: KWinDesktop, tiny_model_dir: Path, tmp_path: Path
) -> None:
    """`assistant trigger read-text` with the real app (Qt offscreen: its own windows do not matter here)
    on the KDE desktop's bus: KWin names the window, KDE's portal takes the picture."""
    kde_portal.open_window("Quarterly notes", TEXT)
    bus, env, speech, log, command = app_on_sway(kde_portal.env, tiny_model_dir, tmp_path, "offscreen")
    stop_process(bus)  # the app belongs on the desktop's own bus, where KWin and the portal are
    env["DBUS_SESSION_BUS_ADDRESS"] = kde_portal.address
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        ready = wait_said(speech, 2, app, log)
        # KDE offers GlobalShortcuts: nothing is said about binding keys by hand. The first run's offer to
        # set up screen capture is said (the app's own voice: no screen reader reads its window), once.
        offer = [line for line in ready if line.startswith("To describe your screen")]
        assert len(offer) == 1 and sorted(ready) == sorted(["Ready.", *offer])
        done = subprocess.run([sys.executable, "-m", "assistant", "trigger", "read-text"], env=env, cwd=ROOT)
        assert done.returncode == 0
        said = wait_said(speech, 4, app, log)
        assert said[2] == "Window: Quarterly notes."
        assert said[3].startswith("Text on it:") and share_of(said[3]) >= 0.9, said[3]
    finally:
        stop_process(app)  # type: ignore[arg-type]
