"""The controller's flow with the tiny random BLIP-2 and speech recorded to a folder (`--speech-to`)."""

from __future__ import annotations

import dataclasses
import threading

from PIL import Image
from PySide6.QtGui import QGuiApplication
from ui_flow import picture, text_picture, wait_idle

from assistant.config import Settings, load_settings
from assistant.engine.base import EngineError
from assistant.engine.images import ImageError
from assistant.ui.qtimage import pil_to_qimage


def test_a_description_is_spoken_and_remembered(qtbot, ready):
    controller, recorded = ready
    image = picture((200, 30, 30))
    controller.describe(image)
    wait_idle(qtbot, controller)
    assert controller.last_image is image
    assert controller.last_description.strip()
    spoken = recorded.texts()[1:]
    assert " ".join(spoken) == " ".join(controller.last_description.split())
    assert recorded.cues() == ["working"]
    assert controller.status == f"Ready. Last: {controller.last_description}"


def test_a_new_request_cancels_the_running_one_and_its_speech(qtbot, ready):
    controller, recorded = ready
    first = controller.describe(picture((0, 0, 255)), "Describing…")
    second = controller.describe(picture((0, 255, 0)), "Describing…")
    assert first.cancel.is_set() and not second.cancel.is_set()
    wait_idle(qtbot, controller)
    assert controller.last_image is second.image
    assert " ".join(recorded.texts()[1:]) == " ".join(controller.last_description.split())
    assert recorded.cues() == ["working", "working"]


def test_the_dialog_asks_and_the_answer_is_spoken_and_added(qtbot, ready):
    controller, recorded = ready
    controller.describe(picture((10, 120, 10)))
    wait_idle(qtbot, controller)
    controller.open_dialog()
    dialog = controller.dialog
    assert dialog.description == controller.last_description
    dialog.question.setText("What colour is it?")
    dialog.submit()
    qtbot.waitUntil(lambda: len(dialog.turns) == 1, timeout=20000)
    wait_idle(qtbot, controller)
    answer = dialog.turns[0].answer
    assert dialog.turns[0].question == "What colour is it?"
    assert answer.strip()
    assert dialog.conversation.item(dialog.conversation.count() - 1).text() == f"Answer: {answer}"
    assert " ".join(answer.split()) in " ".join(recorded.texts())


def test_stop_cuts_off_what_is_being_said(qtbot, ready):
    controller, recorded = ready
    started = threading.Event()
    controller._speech_event.connect(lambda event: event[0] == "started" and started.set())
    controller.say("This is a long sentence that keeps going for quite a while, " * 6)
    qtbot.waitUntil(started.is_set, timeout=20000)
    controller.stop()
    assert controller.speaker.wait_idle(5)
    assert recorded.texts()[-1].endswith("[stopped]")
    assert controller.status == "Stopped."


def test_a_failure_is_spoken_and_shown_in_one_sentence(qtbot, ready):
    controller, recorded = ready
    message = "The file x.png is not an image. Choose an image file."

    def broken() -> Image.Image:
        raise ImageError(message)

    controller.describe(broken)
    qtbot.waitUntil(lambda: controller.status == message, timeout=20000)
    assert controller.speaker.wait_idle(20)
    assert recorded.texts()[-1] == message
    assert recorded.cues() == ["working", "error"]
    assert controller.last_image is None


def test_asking_before_any_description_says_what_to_do(qtbot, ready):
    controller, recorded = ready
    assert controller.ask("What is it?") is None
    assert controller.speaker.wait_idle(20)
    message = "There is no image yet. Describe the screen first, with Control Alt D."
    assert recorded.texts()[-1] == message
    assert controller.status == message


def test_the_hint_names_the_users_own_hotkey(qtbot, make_controller):
    controller, recorded = make_controller(hotkeys={"describe-screen": "ctrl+shift+f9"})
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    controller.open_dialog()
    assert controller.speaker.wait_idle(20)
    assert recorded.texts()[-1] == "There is no image yet. Describe the screen first, with Control Shift F9."
    controller.apply_settings(dataclasses.replace(controller.settings, hotkeys={"describe-screen": ""}))
    controller.ask("What is it?")
    assert controller.speaker.wait_idle(20)
    assert recorded.texts()[-1] == (
        "There is no image yet. Describe the screen first, from the Assistant menu or window."
    )


def test_the_clipboard_image_is_described(qtbot, ready):
    controller, _recorded = ready
    QGuiApplication.clipboard().setImage(pil_to_qimage(text_picture((255, 255, 0))))
    controller.describe_clipboard()
    wait_idle(qtbot, controller)
    assert controller.last_image.size == (96, 64)
    assert controller.last_image.getpixel((5, 5)) == (255, 255, 0)


def test_an_empty_clipboard_is_explained(qtbot, ready):
    controller, recorded = ready
    QGuiApplication.clipboard().setText("just words")
    controller.describe_clipboard()
    assert controller.speaker.wait_idle(20)
    assert recorded.texts()[-1] == "There is no image on the clipboard. Copy an image first, then try again."


def test_a_model_that_fails_to_load_is_explained(qtbot, make_controller):
    message = "The model nothing/here was not found. Check its name in Settings."

    def load(spec, on_progress):
        raise EngineError(message)

    controller, recorded = make_controller(load)
    qtbot.waitUntil(lambda: recorded.texts() == [message], timeout=20000)
    assert controller.status == message
    controller.describe(picture((1, 2, 3)))
    qtbot.waitUntil(lambda: controller.current is None, timeout=20000)
    assert controller.status == message  # asked again: the same sentence, not a crash


def test_settings_apply_at_once_and_are_saved(qtbot, ready, tmp_path):
    controller, _recorded = ready
    new = Settings(rate=300, volume=0.5, earcons=False, detail="detailed", announce_ready=False)
    controller.apply_settings(new)
    assert controller.earcons.enabled is False
    assert controller.settings.detail == "detailed"
    saved, warning = load_settings(tmp_path / "settings.toml")
    assert warning is None
    assert saved == new
    request = controller.describe(picture((9, 9, 9)))
    assert request.detail == "detailed"
    wait_idle(qtbot, controller)


class Shown:
    """A status view that records what it was asked to show."""

    def __init__(self):
        self.statuses, self.texts, self.progress = [], [], []

    def set_status(self, text: str) -> None:
        self.statuses.append(text)

    def show_progress(self, text: str) -> None:
        self.progress.append(text)

    def show_text(self, title: str, text: str) -> None:
        self.texts.append(text)

    def set_hotkeys(self, hotkeys: dict[str, str]) -> None:
        self.hotkeys = dict(hotkeys)


def test_without_speech_the_whole_description_is_shown_once(qtbot, make_controller):
    controller, recorded = make_controller()
    view = Shown()
    controller.views.append(view)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    controller.speaker.enabled = False
    controller.describe(picture((50, 50, 200)))
    qtbot.waitUntil(lambda: controller.current is None, timeout=20000)
    assert view.texts == [controller.last_description]
    assert recorded.texts() == ["Ready."]


def test_download_progress_is_shown_and_spoken_every_quarter(qtbot, make_controller, tiny_engine):
    steps = [f"Downloading the model: {p}% of 15.5 GB" for p in (0, 3, 10, 26, 30, 51, 99)]

    def load(spec, on_progress):
        for step in steps:
            on_progress(step)
        on_progress("Loading the model into memory…")
        return tiny_engine

    controller, recorded = make_controller(load=load)
    qtbot.waitUntil(lambda: "Ready." in recorded.texts(), timeout=20000)
    spoken = recorded.texts()
    # The start and each new quarter are spoken (as words), not every step; then "Ready.".
    assert [t for t in spoken if t.startswith("Downloading")] == [
        "Downloading the model: 0 percent of 15.5 GB",
        "Downloading the model: 26 percent of 15.5 GB",
        "Downloading the model: 51 percent of 15.5 GB",
        "Downloading the model: 99 percent of 15.5 GB",
    ]
    assert spoken[-1] == "Ready."
    assert controller.status.startswith("Ready.")


def test_a_fallback_the_engine_reports_is_spoken_and_shown(qtbot, ready):
    controller, recorded = ready
    message = "The graphics card ran out of memory, so the model now runs in int8 on the processor."
    controller.worker.engine.on_notice(message)  # as the engine does from the model thread
    qtbot.waitUntil(lambda: message in recorded.texts(), timeout=20000)
    assert controller.status == message


def test_every_action_in_the_list_has_a_handler(ready):
    from assistant.actions import NAMES

    controller, _recorded = ready
    assert sorted(controller._handlers) == sorted(NAMES)


def test_a_notice_is_spoken_in_the_apps_words(qtbot, ready):
    """A notice whose command-line sentence names a command is said in the app's own (Settings)."""
    from assistant.errors import Notice

    controller, recorded = ready
    notice = Notice("Run: assistant models download x", "Turn it off in Settings, under Descriptions.")
    controller.worker.engine.on_notice(notice)
    qtbot.waitUntil(lambda: notice.app_message in recorded.texts(), timeout=20000)
    assert str(notice) not in recorded.texts()
