"""What the app says in the conversation dialog reaches a screen reader's user once: where the app speaks
(through the screen reader, or its own voice), the dialog does not announce the same sentence as well; where
it is silent, the announcement is the one way. The walk-through in Spanish heard over AT-SPI the sentence
"Todavía no hay ninguna imagen…" announced by the dialog while the app said it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.config import Settings
from assistant.ui import dialog as dialog_module
from assistant.ui.dialog import ConversationDialog


class Told:
    """The controller as its helpers tell the user through it: what was said, and whether it speaks."""

    def __init__(self, speaking: bool) -> None:
        self.speaking = speaking
        self.said: list[str] = []
        self.statuses: list[str] = []

    def say(self, text: str, interrupt: bool = False) -> None:
        self.said.append(text)

    def tell(self, text: str) -> None:
        self.statuses.append(text)
        self.said.append(text)

    def fail(self, message: str) -> None:
        self.statuses.append(message)
        self.said.append(message)

    def set_status(self, text: str) -> None:
        self.statuses.append(text)

    def show_progress(self, text: str) -> None:
        pass

    def hush(self) -> None:
        pass


@pytest.fixture
def announced(monkeypatch) -> list[str]:
    found: list[str] = []
    monkeypatch.setattr(dialog_module, "announce", lambda _widget, text: found.append(text))
    return found


def _once(told: Told, announced: list[str], sentence: str) -> None:
    heard = told.said + announced if told.speaking else announced
    assert heard.count(sentence) == 1, (told.said, announced)


@pytest.mark.parametrize("speaking", [True, False])
def test_the_dialog_opened_without_a_picture_says_what_to_do_once(qtbot, announced, speaking):
    from assistant.ui.conversation_window import ConversationWindow

    told = Told(speaking)
    message = "There is no image yet. Describe the screen first, with Control Alt D."
    session = SimpleNamespace(
        conversation=SimpleNamespace(image=None), image_text=None, no_image_message=lambda: message
    )
    app = SimpleNamespace(
        settings=Settings(), session=session, ask=print, new_capture=print, handle=print, say=told.say
    )
    app.speaking, app.views = speaking, []  # a tray: nothing else announces what the app says
    window = ConversationWindow(app)  # type: ignore[arg-type]
    window.open()
    assert window.dialog is not None
    qtbot.addWidget(window.dialog)
    _once(told, announced, message)


@pytest.mark.parametrize("speaking", [True, False])
def test_a_heard_question_and_a_failure_to_hear_are_said_once(qtbot, announced, speaking, tmp_path):
    from assistant.ui.earcons import Earcons
    from assistant.ui.listening_flow import ListeningFlow

    told = Told(speaking)
    dialog = ConversationDialog()
    qtbot.addWidget(dialog)
    dialog.spoken_by_app = lambda: speaking
    flow = ListeningFlow(told, Earcons(log_to=tmp_path))  # cues written down, no player thread
    flow._dialog = dialog  # as `listen` leaves it, without opening a microphone
    flow._ask_at_once = False
    flow._on_transcribed("What colour is it?")
    _once(told, announced, "Heard: What colour is it? Press Enter to ask.")
    flow._on_failed("No microphone was found. Connect one, then try again.")
    _once(told, announced, "No microphone was found. Connect one, then try again.")


def _listen_once(qtbot, tmp_path, source, stop: bool = False) -> tuple[Told, ConversationDialog, list[str]]:
    """Ask by voice once from `source` on the real listening thread (`stop`: pressed again at once); what
    was told, the dialog, and the cues."""
    from assistant.ui.earcons import Earcons
    from assistant.ui.listening_flow import ListeningFlow

    told = Told(speaking=True)
    dialog = ConversationDialog()
    qtbot.addWidget(dialog)
    flow = ListeningFlow(told, Earcons(log_to=tmp_path), source)
    try:
        flow.listen(dialog, Settings())
        if stop:
            flow.stop()
        qtbot.waitUntil(lambda: not flow.active and told.statuses[-1] != "Listening…", timeout=5000)
    finally:
        assert flow.shutdown(5)
    cues = [line.split()[1] for line in (tmp_path / "cues.log").read_text().splitlines()]
    return told, dialog, cues


def test_no_microphone_is_not_taken_for_words_being_worked_out(qtbot, tmp_path):
    """With no microphone the user heard "Working out what you said…" before the failure: nothing was
    said. Now the failure follows "Listening…", with its error cue, and the Talk button is Talk again."""
    from assistant.speech.microphone import NO_MICROPHONE
    from assistant.speech.stt import SpeechInputError

    def no_microphone():
        raise SpeechInputError(NO_MICROPHONE)

    told, dialog, cues = _listen_once(qtbot, tmp_path, no_microphone)
    assert told.statuses == ["Listening…", NO_MICROPHONE]
    assert told.said == [NO_MICROPHONE]
    assert dialog.talk_button.accessibleName() == "Talk"
    assert cues == ["listening"]  # the error cue is the told failure's (Told plays none)


def test_listening_that_hears_nothing_says_only_that_it_stopped(qtbot, tmp_path):
    """It said "Working out what you said…" before "Stopped listening.", with nothing heard."""
    import contextlib
    import itertools

    import numpy as np

    quiet = lambda: contextlib.nullcontext(itertools.repeat(np.zeros(1600, np.float32)))  # noqa: E731
    told, dialog, cues = _listen_once(qtbot, tmp_path, quiet, stop=True)
    assert told.statuses == ["Listening…", "Stopped listening."]
    assert dialog.status.text() == "Stopped listening."
    assert dialog.talk_button.accessibleName() == "Talk"
    assert cues == ["listening", "stopped-listening"]


def test_what_the_app_says_stays_out_of_the_dialogs_status_name(qtbot):
    """A screen reader reads a dialog's lines as it opens: a real Orca 51 said the status's name, "Estado:
    Todavía no hay ninguna imagen…", right after the app had said the sentence. The line still shows it."""
    dialog = ConversationDialog()
    qtbot.addWidget(dialog)
    dialog.spoken_by_app = lambda: True
    message = "There is no image yet. Describe the screen first, with Control Alt D."
    dialog.set_status(message, spoken=True)
    assert (dialog.status.text(), dialog.status.accessibleName()) == (message, "Status")
    dialog.set_status("Thinking…")  # not said by the app: named
    assert dialog.status.accessibleName() == "Status: Thinking…"
    dialog.spoken_by_app = lambda: False
    dialog.set_status(message, spoken=True)
    assert dialog.status.accessibleName() == f"Status: {message}"


def test_with_speech_off_the_window_without_a_tray_announces_what_the_dialog_would_repeat(
    qtbot, announced, monkeypatch
):
    """Speech off, no tray: the sentence said on opening the dialog without a picture went to the window's
    Messages (announced) and the dialog's status (announced too). The window announces it alone, and so
    does a tray (its balloon reached no screen reader), not the dialog."""
    from assistant.ui import views
    from assistant.ui.conversation_window import ConversationWindow
    from assistant.ui.views import MainWindow

    from_window: list[str] = []
    monkeypatch.setattr(views, "announce", lambda _widget, text: from_window.append(text))
    window = MainWindow(lambda _name: None, {})
    qtbot.addWidget(window)
    message = "There is no image yet. Describe the screen first, with Control Alt D."
    session = SimpleNamespace(
        conversation=SimpleNamespace(image=None), image_text=None, no_image_message=lambda: message
    )
    app = SimpleNamespace(
        settings=Settings(),
        session=session,
        ask=print,
        new_capture=print,
        handle=print,
        speaking=False,
        views=[window],
        say=lambda text, interrupt=False: window.show_text("Assistant", text),
    )
    conversation = ConversationWindow(app)  # type: ignore[arg-type]
    conversation.open()
    assert conversation.dialog is not None
    qtbot.addWidget(conversation.dialog)
    assert (from_window, announced) == ([message], [])
    tray = views.TrayView(lambda _name: None, {})  # a tray instead
    monkeypatch.setattr(tray.icon, "showMessage", lambda *_args: None)
    app.views = [tray]
    app.say = lambda text, interrupt=False: tray.show_text("Assistant", text)
    conversation.open()
    assert (from_window, announced) == ([message, message], [])
