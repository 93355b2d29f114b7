""" "Read all the text": long text is said up to the word limit with the count left and the key that reads
it, and the action says the rest from the cut. The running controller with the tiny random BLIP-2, the
real OCR, and speech recorded to a folder."""

from __future__ import annotations

import re
import threading

from PySide6.QtCore import Qt
from ui_flow import picture, wait_idle

from assistant.actions import DEFAULT_HOTKEYS
from assistant.bench.samples import dialog_on_desktop, error_message, window_alone

LIMIT = 10
WINDOW = window_alone(dialog_on_desktop())  # a title, a menu and four lines: about 32 words
NO_TEXT_YET = "No text has been read yet; press Control Alt T or describe something first."
NO_MORE = "There is no more text."
MORE = re.compile(r"… (\d+) more words?; (.+) to hear (?:them|it)\.$")


def words(text: str) -> list[str]:
    """The words as said: a line's end is said with a full stop that the picture may not have."""
    return [word.strip(".") for word in text.split() if word.strip(".")]


def describe(qtbot, controller, recorded, image) -> str:
    """Describe `image` and return what was said of its text ("Text on it: …")."""
    before = len(recorded.texts())
    controller.describe(image)
    qtbot.waitUntil(
        lambda: any(t.startswith("Text on it:") for t in recorded.texts()[before:]), timeout=60000
    )
    wait_idle(qtbot, controller)
    return next(t for t in recorded.texts()[before:] if t.startswith("Text on it:"))


def read_all(qtbot, controller, recorded) -> str:
    before = len(recorded.texts())
    controller.handle("read-all-text")
    qtbot.waitUntil(lambda: len(recorded.texts()) > before, timeout=20000)
    wait_idle(qtbot, controller)
    assert len(recorded.texts()) == before + 1
    return recorded.texts()[-1]


def test_long_text_is_cut_naming_the_key_and_read_all_says_the_rest_word_for_word(
    qtbot, make_controller
) -> None:
    controller, recorded = make_controller(text_word_limit=LIMIT)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    said = describe(qtbot, controller, recorded, WINDOW.image)
    read = controller.text.last_lines
    total = len(" ".join(read).split())
    assert total > LIMIT + 5
    cut = MORE.search(said)
    assert cut is not None, said
    assert (int(cut[1]), cut[2]) == (total - LIMIT, "press Control Alt E")
    first = words(said[len("Text on it:") : cut.start()])
    assert first == words(" ".join(read))[:LIMIT]

    rest = read_all(qtbot, controller, recorded)
    assert words(rest) == words(" ".join(read))[LIMIT:]  # from the cut on, every word, none again
    assert controller.status == f"Ready. {total - LIMIT} more words read."
    assert read_all(qtbot, controller, recorded) == NO_MORE


def test_the_hint_follows_the_users_hotkey_or_names_the_menu(qtbot, make_controller) -> None:
    hotkeys = dict(DEFAULT_HOTKEYS, **{"read-all-text": "super+f5"})
    controller, recorded = make_controller(text_word_limit=LIMIT, hotkeys=hotkeys)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    assert describe(qtbot, controller, recorded, WINDOW.image).endswith("; press Super F5 to hear them.")
    controller.settings.hotkeys["read-all-text"] = ""
    assert describe(qtbot, controller, recorded, WINDOW.image).endswith(
        "; choose Read all the text in the Assistant menu or window to hear them."
    )


def test_before_any_text_and_after_short_text_it_says_so(qtbot, ready) -> None:
    controller, recorded = ready
    assert read_all(qtbot, controller, recorded) == NO_TEXT_YET
    said = describe(qtbot, controller, recorded, error_message().image)
    assert "more word" not in said
    assert read_all(qtbot, controller, recorded) == NO_MORE
    # A new picture's text is not read yet while its description is under way: it then comes whole.
    controller.describe(picture((30, 90, 200)))
    wait_idle(qtbot, controller)
    qtbot.waitUntil(lambda: not controller.text.awaited, timeout=30000)
    assert read_all(qtbot, controller, recorded) == NO_MORE  # no text on it


def test_pressed_while_describing_the_text_that_follows_comes_whole(qtbot, make_controller) -> None:
    controller, recorded = make_controller(text_word_limit=LIMIT)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    before = len(recorded.texts())
    controller.describe(WINDOW.image)
    controller.handle("read-all-text")
    assert controller.status == "The whole text will be read."
    qtbot.waitUntil(
        lambda: any(t.startswith("Text on it:") for t in recorded.texts()[before:]), timeout=60000
    )
    wait_idle(qtbot, controller)
    said = next(t for t in recorded.texts()[before:] if t.startswith("Text on it:"))
    assert "more word" not in said
    assert words(said)[3:] == words(" ".join(controller.text.last_lines))
    assert read_all(qtbot, controller, recorded) == NO_MORE


def test_stop_silences_the_rest(qtbot, make_controller) -> None:
    controller, recorded = make_controller(text_word_limit=3)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    describe(qtbot, controller, recorded, WINDOW.image)
    started = threading.Event()
    controller._speech_event.connect(lambda event: event[0] == "started" and started.set())
    controller.handle("read-all-text")
    qtbot.waitUntil(started.is_set, timeout=20000)
    controller.handle("stop")
    assert controller.speaker.wait_idle(5)
    assert recorded.texts()[-1].endswith("[stopped]")
    assert controller.status == "Stopped."


def test_with_reading_turned_off_no_text_follows_and_read_all_says_how_to_turn_it_on(
    qtbot, make_controller
) -> None:
    controller, recorded = make_controller(read_text_on_images=False)
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    controller.describe(WINDOW.image)
    wait_idle(qtbot, controller)
    assert " ".join(recorded.texts()[1:]) == " ".join(controller.last_description.split())
    assert read_all(qtbot, controller, recorded) == (
        "The text on pictures is not read; turn on Read the text on pictures in Settings."
    )


def test_the_settings_window_turns_reading_off_and_sets_the_limit_by_keyboard(qtbot, ready, tmp_path) -> None:
    from assistant.config import load_settings

    controller, recorded = ready
    controller.open_settings()
    dialog = controller.settings_flow.dialog
    qtbot.waitExposed(dialog)
    dialog.descriptions_box.text_word_limit.setFocus()
    qtbot.keyClick(
        dialog.descriptions_box.text_word_limit.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.keyClicks(dialog.descriptions_box.text_word_limit.lineEdit(), "5")
    dialog.descriptions_box.read_text_on_images.setFocus()
    qtbot.keyClick(dialog.descriptions_box.read_text_on_images, Qt.Key.Key_Space)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # OK, the default button
    assert not dialog.isVisible()
    assert (controller.settings.read_text_on_images, controller.settings.text_word_limit) == (False, 5)
    assert load_settings(tmp_path / "settings.toml")[0] == controller.settings
    controller.describe(WINDOW.image)
    wait_idle(qtbot, controller)
    assert not any(t.startswith("Text on it:") for t in recorded.texts())

    controller.settings.read_text_on_images = True
    said = describe(qtbot, controller, recorded, WINDOW.image)
    assert len(words(said[: MORE.search(said).start()])) == 3 + 5  # "Text on it:" and five words
