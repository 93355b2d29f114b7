"""The focused window on KDE Plasma's Wayland, from a script the real KWin runs (Debian 12's 5.27,
headless on its virtual backend): its title and frame, the script unloaded after; and the sentence
said where no window has the focus."""

from __future__ import annotations

import kwin_harness
import pytest
from kwin_harness import KWinDesktop
from portal_harness import call

from assistant.capture import kwin
from assistant.capture.window import NoFocusedWindow, focused_window

pytestmark = pytest.mark.slow
kwin_desktop, on_kwin = kwin_harness.kwin_desktop, kwin_harness.on_kwin  # the fixtures, for this module


def test_the_focused_window_is_named_by_its_title_with_its_frame_on_the_screen(on_kwin: KWinDesktop) -> None:
    on_kwin.open_window("Quarterly notes", "Revenue grew by twelve percent")
    window = focused_window()
    assert window.title == "Quarterly notes"
    left, top, width, height = window.geometry
    assert width > 100 and height > 50  # a dialog with a line of text, not an empty rectangle
    assert left >= 0 and left + width <= 800 and top >= 0 and top + height <= 600  # KWin placed it on screen


def test_the_window_opened_last_has_the_focus_and_the_first_has_it_back_when_that_closes(
    on_kwin: KWinDesktop,
) -> None:
    on_kwin.open_window("First window", "One")
    first = focused_window()
    second = on_kwin.open_window("Second window", "Two")
    assert focused_window().title == "Second window"
    second.terminate()
    on_kwin.wait_focused("First window")
    assert focused_window() == first


def test_the_script_is_unloaded_and_its_file_removed_after_each_answer(
    on_kwin: KWinDesktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_kwin.open_window("Quarterly notes", "Revenue grew by twelve percent")
    monkeypatch.setattr(kwin.secrets, "token_hex", lambda _size: "fixed")
    assert focused_window().title == "Quarterly notes"
    loaded = call(
        on_kwin.address,
        kwin.KWIN,
        kwin.SCRIPTING_PATH,
        kwin.SCRIPTING,
        "isScriptLoaded",
        "s",
        "assistant_question_fixed",
    )
    assert loaded == (False,)
    assert not list((on_kwin.folder / "run").glob("assistant-kwin-*.js"))
    assert focused_window().title == "Quarterly notes"  # the same name loads again: nothing was left


def test_with_no_window_open_it_says_that_no_window_has_the_focus(on_kwin: KWinDesktop) -> None:
    on_kwin.wait_focused(None)
    with pytest.raises(NoFocusedWindow, match="No window has the focus"):
        focused_window()


@pytest.mark.parametrize("kwin_desktop", [{"outputs": 2}], indirect=True)
def test_kwin_lists_its_monitors_side_by_side_the_active_one_marked(on_kwin: KWinDesktop) -> None:
    assert kwin.screens() == [("0", (0, 0, 800, 600), 1.0, True), ("1", (800, 0, 800, 600), 1.0, False)]
