"""Every description in the app (screen, region, clipboard image, image file) names a blank picture by its
colour and does not run the model for it; the screen and a region are not captured while the session is
locked. The lock and blank checks run on the capture thread, never on the Qt thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from ui_flow import text_picture, wait_idle

import assistant.capture
from assistant.capture.locked import LOCKED_MESSAGE
from assistant.session.core import NEW_CAPTURE_DELAY_S
from assistant.ui.qtimage import pil_to_qimage


def desktop_with_pointer_and_task_bar() -> Image.Image:
    desktop = Image.new("RGB", (1920, 1080), (20, 70, 120))
    draw = ImageDraw.Draw(desktop)
    draw.rectangle((0, 1040, 1920, 1080), fill=(40, 40, 40))
    draw.text((1840, 1050), "12:30", fill="white", font=ImageFont.load_default(16))
    draw.rectangle((8, 1046, 36, 1074), fill=(200, 80, 40))  # an icon on the task bar
    draw.polygon(
        [(900, 500), (900, 520), (905, 515), (909, 523), (912, 522), (908, 514), (914, 514)], "white"
    )
    return desktop


def thin_task_bar_on_white() -> Image.Image:
    screen = Image.new("RGB", (1280, 800), "white")
    ImageDraw.Draw(screen).rectangle((0, 0, 1280, 24), fill=(50, 50, 60))  # a top panel
    ImageDraw.Draw(screen).text((1200, 4), "09:41", fill="white", font=ImageFont.load_default(14))
    return screen


BLANK = [
    pytest.param(Image.new("RGB", (1920, 1080), "black"), "black", id="black-1920x1080"),
    pytest.param(Image.new("RGB", (800, 600), "white"), "white", id="white-800x600"),
    pytest.param(Image.new("RGB", (1280, 800), (30, 60, 140)), "dark blue", id="dark-blue-1280x800"),
    pytest.param(Image.new("RGB", (64, 48), (128, 128, 128)), "grey", id="grey-64x48"),
    pytest.param(desktop_with_pointer_and_task_bar(), "dark blue", id="desktop-pointer-task-bar"),
    pytest.param(thin_task_bar_on_white(), "white", id="thin-task-bar"),
]
ONE_LINE = text_picture("white", size=(1280, 800), text="Press any key to continue", at=(560, 392))


@pytest.fixture
def no_bus(monkeypatch) -> None:
    """No D-Bus: not locked, whatever the machine running the tests has."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/session_bus_socket")
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus_socket")


class Watched:
    """The engine's describe calls, the screen grabs, and the threads the lock and blank checks ran on."""

    def __init__(self, monkeypatch, engine) -> None:
        self.described: list[Image.Image] = []
        self.grabs = 0
        self.check_threads: list[str] = []
        self.screen: Image.Image | None = None
        self.last_grab: Image.Image | None = None
        self.window: Image.Image | None = None  # the focused window's picture; None: no window has the focus
        describe, blank_colour, locked = (
            engine.describe,
            assistant.capture.blank_colour,
            assistant.capture.screen_is_locked,
        )

        def describe_spy(image, *args, **kwargs):
            self.described.append(image)
            return describe(image, *args, **kwargs)

        def grab_screen(at=None):
            self.grabs += 1
            assert self.screen is not None
            self.last_grab = self.screen.copy()
            return self.last_grab

        def grab_focused_window():
            self.grabs += 1
            if self.window is None:
                raise assistant.capture.NoFocusedWindow("No window has the focus.")
            found = assistant.capture.FocusedWindow("Notes - Editor", (0, 0, *self.window.size))
            return found, self.window.copy()

        def blank_spy(image):
            self.check_threads.append(threading.current_thread().name)
            return blank_colour(image)

        def locked_spy(*args, **kwargs):
            self.check_threads.append(threading.current_thread().name)
            return locked(*args, **kwargs)

        monkeypatch.setattr(engine, "describe", describe_spy)
        monkeypatch.setattr(assistant.capture, "grab_screen", grab_screen)
        monkeypatch.setattr(assistant.capture, "grab_focused_window", grab_focused_window)
        monkeypatch.setattr(assistant.capture, "blank_colour", blank_spy)
        monkeypatch.setattr(assistant.capture, "screen_is_locked", locked_spy)

    def off_the_qt_thread(self) -> bool:
        return bool(self.check_threads) and threading.main_thread().name not in self.check_threads


@pytest.fixture
def watched(monkeypatch, tiny_engine) -> Watched:
    return Watched(monkeypatch, tiny_engine)


def said(recorded) -> list[str]:
    return recorded.texts()[1:]  # after "Ready."


def assert_named_blank(qtbot, controller, recorded, watched, message: str) -> None:
    qtbot.waitUntil(lambda: message in said(recorded), timeout=20000)
    wait_idle(qtbot, controller)
    assert said(recorded) == [message]  # the model's words never appear
    assert watched.described == []  # the model was not run
    assert controller.last_image is None and controller.last_description == ""
    assert recorded.cues() == ["working"]
    assert controller.status == message
    assert watched.off_the_qt_thread()


def assert_described(qtbot, controller, recorded, watched, image: Image.Image) -> None:
    qtbot.waitUntil(lambda: controller.last_description != "", timeout=30000)
    wait_idle(qtbot, controller)
    assert len(watched.described) == 1
    assert watched.described[0].tobytes() == image.tobytes()
    assert controller.last_image.tobytes() == image.tobytes()
    assert not any("blank" in text for text in said(recorded))
    assert watched.off_the_qt_thread()


# -- the screen (Ctrl+Alt+D) ----------------------------------------------------------------------
@pytest.mark.parametrize(("screen", "colour"), BLANK)
def test_a_blank_screen_is_named_not_described(qtbot, no_bus, ready, watched, screen, colour) -> None:
    controller, recorded = ready
    watched.screen = screen
    controller.handle("describe-screen")
    assert_named_blank(qtbot, controller, recorded, watched, f"The screen is blank: all {colour}.")
    assert watched.grabs == 1


def test_a_screen_with_one_line_of_text_is_described(qtbot, no_bus, ready, watched) -> None:
    controller, recorded = ready
    watched.screen = ONE_LINE
    controller.handle("describe-screen")
    assert_described(qtbot, controller, recorded, watched, ONE_LINE)


def test_a_blank_screen_keeps_the_last_image(qtbot, no_bus, ready, watched) -> None:
    controller, recorded = ready
    watched.screen = ONE_LINE
    controller.handle("describe-screen")
    qtbot.waitUntil(lambda: controller.last_image is not None, timeout=30000)
    wait_idle(qtbot, controller)
    last_image, last_description = controller.last_image, controller.last_description
    watched.screen = Image.new("RGB", (1280, 800), "black")
    controller.handle("describe-screen")
    qtbot.waitUntil(lambda: "The screen is blank: all black." in said(recorded), timeout=20000)
    wait_idle(qtbot, controller)
    assert controller.last_image is last_image and controller.last_description == last_description
    assert len(watched.described) == 1


# -- the focused window (Ctrl+Alt+W, and Read the text) --------------------------------------------
@pytest.mark.parametrize("action", ["describe-window", "read-text"])
def test_a_blank_window_is_named_not_described_nor_read(qtbot, no_bus, ready, watched, action) -> None:
    controller, recorded = ready
    watched.window = Image.new("RGB", (640, 400), "white")
    controller.handle(action)
    assert_named_blank(qtbot, controller, recorded, watched, "The window is blank: all white.")


def test_a_window_with_one_line_of_text_is_described_after_its_title(qtbot, no_bus, ready, watched) -> None:
    controller, recorded = ready
    watched.window = text_picture("white", size=(640, 400), text="Saved", at=(300, 190))
    controller.handle("describe-window")
    assert_described(qtbot, controller, recorded, watched, watched.window)
    assert said(recorded)[0] == "Window: Notes - Editor."


# -- a region (Ctrl+Alt+R) -------------------------------------------------------------------------
def choose_the_middle(qtbot, controller) -> None:
    """The chooser opens on the middle half of the screen; Enter takes it."""
    qtbot.waitUntil(lambda: controller.region.overlay is not None, timeout=20000)
    controller.region.overlay.take()


def test_a_blank_region_is_named_not_described(qtbot, no_bus, ready, watched) -> None:
    controller, recorded = ready
    # Text in the top left corner: the screen is not blank, its middle is.
    watched.screen = text_picture("white", size=(1280, 800), text="File Edit View", at=(10, 10))
    controller.handle("describe-region")
    choose_the_middle(qtbot, controller)
    message = "The region is blank: all white."
    qtbot.waitUntil(lambda: message in said(recorded), timeout=20000)
    wait_idle(qtbot, controller)
    assert message == said(recorded)[-1]
    assert watched.described == [] and controller.last_image is None
    assert watched.off_the_qt_thread()


def test_a_region_with_one_line_of_text_is_described(qtbot, no_bus, ready, watched) -> None:
    controller, recorded = ready
    watched.screen = ONE_LINE
    controller.handle("describe-region")
    choose_the_middle(qtbot, controller)
    middle = ONE_LINE.crop((320, 200, 960, 600))
    assert_described(qtbot, controller, recorded, watched, middle)


@pytest.mark.parametrize(("screen", "colour"), BLANK[:1] + BLANK[4:5])
def test_a_blank_screen_offers_no_region_to_choose(qtbot, no_bus, ready, watched, screen, colour) -> None:
    controller, recorded = ready
    watched.screen = screen
    controller.handle("describe-region")
    message = f"The screen is blank: all {colour}."
    qtbot.waitUntil(lambda: message in said(recorded), timeout=20000)
    wait_idle(qtbot, controller)
    assert controller.region.overlay is None
    assert watched.described == [] and controller.last_image is None


# -- the clipboard image (Ctrl+Alt+V) and image files ---------------------------------------------
@pytest.mark.parametrize(("image", "colour"), BLANK[1:4])
def test_a_blank_clipboard_image_is_named_not_described(qtbot, no_bus, ready, watched, image, colour) -> None:
    controller, recorded = ready
    QGuiApplication.clipboard().setImage(pil_to_qimage(image))
    controller.handle("describe-clipboard")
    assert_named_blank(qtbot, controller, recorded, watched, f"The picture is blank: all {colour}.")
    assert watched.grabs == 0


def test_a_clipboard_image_with_one_line_of_text_is_described(qtbot, no_bus, ready, watched) -> None:
    controller, recorded = ready
    QGuiApplication.clipboard().setImage(pil_to_qimage(ONE_LINE))
    controller.handle("describe-clipboard")
    assert_described(qtbot, controller, recorded, watched, ONE_LINE)


def choose_file(monkeypatch, path: Path) -> None:
    from assistant.ui import pictures as module

    monkeypatch.setattr(module.QFileDialog, "getOpenFileName", lambda *args: (str(path), ""))


@pytest.mark.parametrize(("image", "colour"), BLANK[:1] + BLANK[3:5])
def test_a_blank_image_file_is_named_not_described(
    qtbot, no_bus, ready, watched, image, colour, tmp_path, monkeypatch
) -> None:
    controller, recorded = ready
    image.save(tmp_path / "blank.png")
    choose_file(monkeypatch, tmp_path / "blank.png")
    controller.handle("describe-file")
    assert_named_blank(qtbot, controller, recorded, watched, f"The picture is blank: all {colour}.")


def test_an_image_file_with_one_line_of_text_is_described(
    qtbot, no_bus, ready, watched, tmp_path, monkeypatch
) -> None:
    controller, recorded = ready
    ONE_LINE.save(tmp_path / "line.png")
    choose_file(monkeypatch, tmp_path / "line.png")
    controller.handle("describe-file")
    assert_described(qtbot, controller, recorded, watched, ONE_LINE)


def test_an_unreadable_file_is_said_with_the_error_cue(
    qtbot, no_bus, ready, watched, tmp_path, monkeypatch
) -> None:
    controller, recorded = ready
    (tmp_path / "notes.png").write_text("not a picture", encoding="utf-8")
    choose_file(monkeypatch, tmp_path / "notes.png")
    controller.handle("describe-file")
    qtbot.waitUntil(lambda: recorded.cues() == ["working", "error"], timeout=20000)
    wait_idle(qtbot, controller)
    assert "notes.png" in said(recorded)[-1]
    assert watched.described == [] and controller.last_image is None


# -- a locked session ------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["describe-screen", "describe-region", "describe-window", "read-text"])
def test_a_locked_screen_is_said_and_nothing_is_captured(
    qtbot, locked_screen, ready, watched, action
) -> None:
    controller, recorded = ready
    QGuiApplication.clipboard().setImage(pil_to_qimage(ONE_LINE))
    controller.handle("describe-clipboard")  # the clipboard is not the screen: described while locked
    qtbot.waitUntil(lambda: controller.last_image is not None, timeout=30000)
    wait_idle(qtbot, controller)
    last_image, last_description = controller.last_image, controller.last_description
    watched.screen = ONE_LINE
    controller.handle(action)
    qtbot.waitUntil(lambda: LOCKED_MESSAGE in said(recorded), timeout=20000)
    wait_idle(qtbot, controller)
    assert said(recorded)[-1] == LOCKED_MESSAGE
    assert watched.grabs == 0  # nothing was captured
    assert controller.region.overlay is None
    assert controller.last_image is last_image and controller.last_description == last_description
    assert len(watched.described) == 1  # the clipboard's picture
    assert watched.off_the_qt_thread()


def test_the_clipboard_is_described_while_the_screen_is_locked(qtbot, locked_screen, ready, watched) -> None:
    """A copied picture is not the screen: the lock does not hide it."""
    controller, recorded = ready
    QGuiApplication.clipboard().setImage(pil_to_qimage(ONE_LINE))
    controller.handle("describe-clipboard")
    assert_described(qtbot, controller, recorded, watched, ONE_LINE)
    assert LOCKED_MESSAGE not in said(recorded)


def test_a_new_capture_of_a_blank_screen_brings_the_dialog_back(qtbot, no_bus, ready, watched) -> None:
    """New capture hides the dialog to take the picture; a blank screen is said, and the dialog returns."""
    controller, recorded = ready
    controller.open_dialog()
    watched.screen = Image.new("RGB", (1280, 800), "black")
    controller.new_capture()
    assert not controller.dialog.isVisible()
    qtbot.waitUntil(lambda: "The screen is blank: all black." in said(recorded), timeout=20000)
    wait_idle(qtbot, controller)
    assert controller.dialog.isVisible()
    assert watched.described == []


def test_a_new_capture_brings_the_dialog_back_before_the_description(
    qtbot, no_bus, ready, watched, tiny_engine, monkeypatch
) -> None:
    """A screen reader speaks a window taking the focus and cuts off what it was saying (Orca does): the
    dialog hidden for the picture comes back once it is taken, before the description is spoken."""
    controller, _recorded = ready
    controller.open_dialog()
    watched.screen = ONE_LINE
    release = threading.Event()
    spy = tiny_engine.describe

    def held(image, *args, **kwargs):
        release.wait(30)
        return spy(image, *args, **kwargs)

    monkeypatch.setattr(tiny_engine, "describe", held)
    controller.new_capture()
    assert not controller.dialog.isVisible()
    qtbot.waitUntil(controller.dialog.isVisible, timeout=20000)
    assert watched.described == [] and controller.current is not None  # the model has not answered yet
    release.set()
    wait_idle(qtbot, controller)
    assert len(watched.described) == 1 and controller.dialog.isVisible()


def armed_timers(controller) -> set[QTimer]:
    """The controller's running timers: its session's clock (`ui/qtclock.py`) makes them its children."""
    return {timer for timer in controller.findChildren(QTimer) if timer.isActive()}


def test_stop_during_a_new_capture_brings_the_dialog_back(qtbot, no_bus, ready, watched) -> None:
    """New capture hides the dialog for the picture; Stop before it is taken must not leave the user with
    no dialog to return to."""
    controller, _recorded = ready
    controller.open_dialog()
    watched.screen = ONE_LINE
    armed_before = armed_timers(controller)
    controller.new_capture()  # the picture is taken 300 ms later, on a timer of the controller's clock
    assert not controller.dialog.isVisible()
    (capture_timer,) = {
        timer
        for timer in armed_timers(controller) - armed_before
        if timer.interval() == round(NEW_CAPTURE_DELAY_S * 1000)
    }
    controller.stop()
    assert controller.dialog.isVisible()
    # No waiting to see that nothing comes: the only thing that could take the picture is disarmed.
    assert not capture_timer.isActive() and controller.session.capture_job is None
    wait_idle(qtbot, controller)
    assert watched.described == []


def test_each_described_picture_has_its_own_text(qtbot, no_bus, ready, watched, monkeypatch) -> None:
    """Captures, requests and readings share one counter: the text of a picture read by "Read the text"
    is never taken for that of a later description whose request had the same number."""
    import itertools

    from assistant.session import work

    controller, _recorded = ready
    monkeypatch.setattr(work, "_ids", itertools.count(1))

    def screen_of(words: str) -> Image.Image:
        screen = Image.new("RGB", (1280, 800), "white")
        ImageDraw.Draw(screen).text((400, 360), words, fill="black", font=ImageFont.load_default(40))
        return screen

    def text_read() -> str:
        qtbot.waitUntil(
            lambda: not controller.image_text.reading and bool(controller.image_text.lines), timeout=30000
        )
        return " ".join(controller.image_text.lines).lower()

    for action, words in (
        ("describe-screen", "Alpha report"),
        ("read-text", "Bravo invoice"),
        ("describe-screen", "Charlie notes"),
    ):
        watched.screen = screen_of(words)
        controller.handle(action)
        qtbot.waitUntil(lambda: controller.last_image is watched.last_grab, timeout=30000)
        wait_idle(qtbot, controller)
        assert words.split()[0].lower() in text_read()
