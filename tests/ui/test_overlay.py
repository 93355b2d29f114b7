"""The region chooser, operated by keyboard alone and by mouse."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QRect, Qt

from assistant.ui.overlay import BIG_STEP, STEP, RegionOverlay


def gradient(width: int, height: int) -> Image.Image:
    """Each pixel's red is its column and green its row (mod 256), so a crop shows where it came from."""
    image = Image.new("RGB", (width, height))
    image.putdata([(x % 256, y % 256, 0) for y in range(height) for x in range(width)])
    return image


@pytest.fixture
def overlay(qtbot):
    widget = RegionOverlay(gradient(200, 120), QRect(0, 0, 200, 120))
    qtbot.addWidget(widget)
    widget.open()
    qtbot.waitExposed(widget)
    return widget


def test_starts_centred_and_says_how_to_use_it(overlay):
    assert overlay.region() == (50, 30, 100, 60)
    assert "Enter takes it" in overlay.accessibleDescription()


def test_arrows_move_and_shift_arrows_resize(qtbot, overlay):
    spoken = []
    overlay.changed.connect(spoken.append)
    qtbot.keyClick(overlay, Qt.Key.Key_Right)
    assert overlay.region() == (50 + STEP, 30, 100, 60)
    qtbot.keyClick(overlay, Qt.Key.Key_Up)
    assert overlay.region() == (50 + STEP, 30 - STEP, 100, 60)
    qtbot.keyClick(overlay, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(overlay, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert overlay.region() == (50 + STEP, 30 - STEP, 100 + STEP, 60 - STEP)
    assert (
        spoken[-1]
        == f"{100 + STEP} by {60 - STEP} pixels, {50 + STEP} from the left, {30 - STEP} from the top."
    )
    assert overlay.accessibleDescription() == spoken[-1]


def test_control_takes_big_steps_and_the_region_stays_on_screen(qtbot, overlay):
    qtbot.keyClick(overlay, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert overlay.region()[0] == 50 - BIG_STEP
    for _ in range(5):
        qtbot.keyClick(overlay, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert overlay.region()[0] == 0
    for _ in range(10):
        qtbot.keyClick(
            overlay, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
        )
    assert overlay.region() == (0, 30, 200, 60)


def test_enter_takes_the_region_from_the_screenshot(qtbot, overlay):
    qtbot.keyClick(overlay, Qt.Key.Key_Down)
    with qtbot.waitSignal(overlay.chosen) as blocker:
        qtbot.keyClick(overlay, Qt.Key.Key_Return)
    crop = blocker.args[0]
    assert crop.size == (100, 60)
    assert crop.getpixel((0, 0)) == (50, 30 + STEP, 0)
    assert crop.getpixel((99, 59)) == (149, 89 + STEP, 0)
    assert not overlay.isVisible()


def test_escape_cancels(qtbot, overlay):
    chosen = []
    overlay.chosen.connect(chosen.append)
    with qtbot.waitSignal(overlay.cancelled):
        qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert chosen == []
    assert not overlay.isVisible()


def on_widget(overlay: RegionOverlay, x: int, y: int) -> QPoint:
    """Where screenshot pixel (x, y) is shown: the window fills the screen, whatever its size."""
    return QPoint(
        round(x * overlay.width() / overlay.screenshot.width),
        round(y * overlay.height() / overlay.screenshot.height),
    )


def test_mouse_drag_chooses_a_region(qtbot, overlay):
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=on_widget(overlay, 20, 10))
    qtbot.mouseMove(overlay, on_widget(overlay, 60, 50))
    assert overlay.region() == (20, 10, 40, 40)
    with qtbot.waitSignal(overlay.chosen) as blocker:
        qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=on_widget(overlay, 70, 40))
    assert blocker.args[0].size == (50, 30)
    assert blocker.args[0].getpixel((0, 0)) == (20, 10, 0)


def test_a_screenshot_with_more_pixels_than_the_screen_is_cropped_in_its_own_pixels(qtbot):
    widget = RegionOverlay(gradient(400, 240), QRect(0, 0, 200, 120))  # a 2x high-DPI screen
    qtbot.addWidget(widget)
    widget.open()
    qtbot.waitExposed(widget)
    assert widget.region() == (100, 60, 200, 120)
    with qtbot.waitSignal(widget.chosen) as blocker:
        qtbot.keyClick(widget, Qt.Key.Key_Enter)
    assert blocker.args[0].size == (200, 120)
    assert blocker.args[0].getpixel((0, 0)) == (100, 60, 0)


@pytest.mark.parametrize("spoken_by_app", [True, False])
def test_each_change_reaches_the_user_once(qtbot, monkeypatch, spoken_by_app):
    """The app's speech goes through the screen reader: an announcement as well made it say the
    instructions and every position twice (heard over AT-SPI in the Spanish walk-through). Without the
    app's speech the announcement is the one way, and nothing is handed to the app to show instead."""
    from assistant.ui import overlay as overlay_module
    from assistant.ui.pictures import RegionChooser

    announced: list[str] = []
    monkeypatch.setattr(overlay_module, "announce", lambda _widget, text: announced.append(text))
    said: list[str] = []
    chooser = RegionChooser(said.append, lambda image: None, lambda: None, lambda: spoken_by_app)
    chooser.screen = QRect(0, 0, 200, 120)
    chooser.open(gradient(200, 120))
    widget = chooser.overlay
    assert widget is not None
    qtbot.addWidget(widget)
    qtbot.waitExposed(widget)
    qtbot.keyClick(widget, Qt.Key.Key_Right)
    where = f"100 by 60 pixels, {50 + STEP} from the left, 30 from the top."
    if spoken_by_app:
        assert announced == []
        assert said[-1] == where and said[0].startswith("Choose a region.") and len(said) == 2
    else:
        assert said == []
        assert announced[0].startswith("Choose a region.") and announced[1:] == [where]
    qtbot.keyClick(widget, Qt.Key.Key_Escape)
