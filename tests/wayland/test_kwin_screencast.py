"""A real frame through PipeWire: the app's ScreenCast backend on KDE, with the real xdg-desktop-portal,
xdg-desktop-portal-kde 5.27 and KWin 5.27 streaming into PipeWire in shared memory (memfd), read by
GStreamer's pipewiresrc, as on a KDE desktop.

The share is restored from a token, as the user's second and later sessions are: the permission
store holds what KDE's portal keeps after the user agreed once ("allow restoring"), so no dialog is
shown. What is shared is a window, not the monitor: KWin 5.27 feeds a monitor's stream only when its
output reports a repaint (`Output::outputChange`), which its DRM and nested-Wayland outputs do and its
virtual (headless) output does not, so a monitor's stream stays empty there. A window's stream starts
with a whole frame. The app's backend and the frame's way to it are the same either way."""

from __future__ import annotations

from pathlib import Path

import kwin_harness
import pytest
from kwin_harness import KWinDesktop, active_window_id, agreed_before

from assistant.capture.portal_screencast import PortalScreenCastBackend
from assistant.ocr import read_text

pytestmark = pytest.mark.slow
kwin_desktop, kde_screencast = kwin_harness.kwin_desktop, kwin_harness.kde_screencast

TEXT = "Revenue grew by twelve percent"


def test_one_real_frame_a_request_from_a_share_restored_without_a_question(
    kde_screencast: KWinDesktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kde_screencast.open_window("Quarterly notes", TEXT)
    token_file = tmp_path / "screencast-restore-token"
    token_file.write_text(agreed_before(kde_screencast, [active_window_id(kde_screencast)]))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", kde_screencast.address)
    backend = PortalScreenCastBackend(token_file=token_file)
    try:
        assert backend.problem() is None
        # No one can answer KDE's chooser here: had it been shown, Start would not answer in time.
        first = backend.grab_screen()
        again = backend.grab_screen()  # the same session, kept open: a second frame of the same stream
    finally:
        backend.close()
    assert first.size == again.size
    assert first.size[0] > 200 and first.size[1] > 50  # the window's own surface
    words = {word.lower().strip(".,") for word in read_text(first).text.split()}
    wanted = TEXT.lower().split()
    assert sum(word in words for word in wanted) >= 0.9 * len(wanted), words
    assert backend.restore_token  # the portal handed back a token for the next run, and it was kept
