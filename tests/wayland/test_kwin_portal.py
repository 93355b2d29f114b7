"""Describe the focused window on KDE Plasma's Wayland, end to end on real parts: KWin 5.27 headless
names the window and its frame (a script it runs), the real xdg-desktop-portal with KDE's own backend
(xdg-desktop-portal-kde, which asks KWin for the picture) takes the screenshot, and the app cuts the
window out of it."""

from __future__ import annotations

import kwin_harness
import pytest
from kwin_harness import KWinDesktop
from PIL import Image

from assistant.capture import grab_focused_window
from assistant.capture.backends import choose_backend
from assistant.capture.portal_screenshot import PortalScreenshotBackend
from assistant.ocr import read_text

pytestmark = pytest.mark.slow
kwin_desktop, kde_portal, on_kwin = kwin_harness.kwin_desktop, kwin_harness.kde_portal, kwin_harness.on_kwin

TEXT = "Revenue grew by twelve percent"


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
    words = {word.lower().strip(".,") for word in read_text(picture).text.split()}
    wanted = TEXT.lower().split()
    assert sum(word in words for word in wanted) >= 0.9 * len(wanted), words
    assert not list((kde_portal.folder / "Pictures").iterdir())  # no screenshot left on disk
