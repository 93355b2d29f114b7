"""The tray menu and the fallback window: every action, with mnemonics, hotkeys and names."""

from __future__ import annotations

from assistant.actions import ACTIONS
from assistant.config import DEFAULT_HOTKEYS
from assistant.ui.views import MainWindow, TrayView


def test_the_tray_menu_offers_every_action_with_its_hotkey(qtbot):
    ran = []
    tray = TrayView(ran.append, DEFAULT_HOTKEYS)
    texts = {name: action.text() for name, action in tray.actions.items()}
    assert list(texts) == [action.name for action in ACTIONS]
    assert texts["describe-screen"] == "Describe &screen\tCtrl+Alt+D"
    assert texts["quit"] == "&Quit"
    letters = [text[text.index("&") + 1].lower() for text in texts.values()]
    assert len(set(letters)) == len(letters)
    tray.actions["describe-region"].trigger()
    assert ran == ["describe-region"]
    tray.set_status("Ready. " + "word " * 50)
    assert tray.icon.toolTip().startswith("Assistant: Ready.")
    assert len(tray.icon.toolTip()) <= 120
    tray.set_hotkeys({**DEFAULT_HOTKEYS, "describe-screen": "ctrl+alt+x"})
    assert tray.actions["describe-screen"].text() == "Describe &screen\tCtrl+Alt+X"


def test_the_fallback_window_has_every_action_as_a_named_button(qtbot, unnamed_focusable):
    ran = []
    window = MainWindow(ran.append, DEFAULT_HOTKEYS)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert unnamed_focusable(window) == []
    assert [window.buttons[a.name].accessibleName() for a in ACTIONS][:2] == [
        "Describe screen",
        "Describe region",
    ]
    window.buttons["stop"].click()
    window.set_status("Ready.")
    assert window.status.accessibleName() == "Status: Ready."
    window.show_text("Assistant", "Speech is not working.")
    assert window.messages.toPlainText() == "Speech is not working."
    window.close()  # the only way into the app: closing it quits
    assert ran == ["stop", "quit"]


def test_the_fallback_window_announces_only_what_the_app_does_not_say(qtbot, monkeypatch):
    # Announced while the app speaks, "Ready. <the model>" after the spoken "Ready.", or "Ready. Last:
    # <the description>" after the description, reached a real Orca 51 twice; and a count of seconds
    # read out every second.
    from assistant.ui import views

    announced: list[str] = []
    monkeypatch.setattr(views, "announce", lambda _widget, text: announced.append(text))
    window = MainWindow(lambda _name: None, DEFAULT_HOTKEYS)
    qtbot.addWidget(window)
    window.set_status("Speech is off.")  # the app does not speak: the screen reader is the way
    speaking = True
    window.spoken_by_app = lambda: speaking
    window.set_status("Ready. Last: A cat on a sofa.")
    assert window.status.accessibleName() == "Status: Ready. Last: A cat on a sofa."
    window.set_status("Loading the model…")
    window.show_progress("Loading the model… 3 s")
    assert window.status.text() == "Loading the model… 3 s"
    assert window.status.accessibleName() == "Status: Loading the model…"
    speaking = False
    window.show_progress("Loading the model… 4 s")
    assert announced == ["Speech is off."]


def test_the_focused_status_is_not_renamed_while_the_app_speaks(qtbot):
    """The window opens with the focus on its status, and a screen reader reads out each new name of the
    focused control: a real Orca 51 said "Estado: Listo. Lo último: <the description>" right after the
    app had said the description, and "Listo." twice at start. While the app speaks, the focused status
    keeps its name, which catches up as the focus leaves it; unfocused, or with the app silent, it is
    renamed at once."""
    window = MainWindow(lambda _name: None, DEFAULT_HOTKEYS)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.status.setFocus()
    qtbot.waitUntil(window.status.hasFocus)
    window.set_status("Loading the model…")
    speaking = True
    window.spoken_by_app = lambda: speaking
    window.set_status("Ready. Last: A cat on a sofa.")
    assert window.status.text() == "Ready. Last: A cat on a sofa."
    assert window.status.accessibleName() == "Status: Loading the model…"
    window.buttons["describe-screen"].setFocus()
    qtbot.waitUntil(lambda: not window.status.hasFocus())
    assert window.status.accessibleName() == "Status: Ready. Last: A cat on a sofa."
    window.set_status("Describing the screen…")  # not focused: renamed, and no screen reader reads it
    assert window.status.accessibleName() == "Status: Describing the screen…"
    window.status.setFocus()
    qtbot.waitUntil(window.status.hasFocus)
    speaking = False
    window.set_status("Speech is off.")
    assert window.status.accessibleName() == "Status: Speech is off."


def test_without_the_apps_speech_each_state_and_message_is_announced_once(qtbot, monkeypatch):
    """With speech off, a failure was announced twice (the status, then the same sentence in Messages),
    "Ready." after "Ready. <the model>", and the description again in "Ready. Last: <the description>";
    and the focused status, which a screen reader reads as it is renamed, was announced as well."""
    from assistant.ui import views

    announced: list[str] = []
    monkeypatch.setattr(views, "announce", lambda _widget, text: announced.append(text))
    window = MainWindow(lambda _name: None, DEFAULT_HOTKEYS)
    qtbot.addWidget(window)
    problem = "There is no image on the clipboard. Copy an image first, then try again."
    window.set_status(problem)  # QtTeller.fail and tell: the state, then what speech would have said
    window.show_text("Assistant", problem)
    window.set_status("Ready. tiny, fp32 on the processor")  # loaded: the state, then "Ready."
    window.show_text("Assistant", "Ready.")
    window.show_text("Assistant", "A cat on a sofa.")  # a description, its text, then the state
    window.show_text("Assistant", "Text on it: Hello.")
    window.set_status("Ready. Last: A cat on a sofa.")
    window.show_text("Assistant", "Text on it: Hello.")  # Read the text: the text, then the count
    window.set_status("Ready. 5 words read.")
    assert announced == [
        problem,
        "Ready. tiny, fp32 on the processor",
        "A cat on a sofa.",
        "Text on it: Hello.",
        "Text on it: Hello.",
        "Ready. 5 words read.",
    ]
    assert window.status.accessibleName() == "Status: Ready. 5 words read."
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.status.setFocus()
    qtbot.waitUntil(window.status.hasFocus)
    window.set_status("Describing the screen…")  # read out through its new name
    assert window.status.accessibleName() == "Status: Describing the screen…"
    assert announced[-1] == "Ready. 5 words read."


def test_with_speech_off_the_tray_announces_what_it_shows_in_a_balloon(qtbot, monkeypatch, tmp_path):
    """Speech off, with a tray: a failure ("no image on the clipboard") was only a tray balloon, which
    reaches a screen reader only where a notification daemon carries it (none under Xvfb, nor on every
    desktop). It is announced too, once; a state only shown (the tooltip) is not."""
    from assistant.ui import views
    from assistant.ui.earcons import Earcons
    from assistant.ui.qtteller import QtTeller

    announced: list[str] = []
    monkeypatch.setattr(views, "announce", lambda _widget, text: announced.append(text))
    balloons: list[str] = []
    tray = TrayView(lambda _name: None, DEFAULT_HOTKEYS)
    monkeypatch.setattr(tray.icon, "showMessage", lambda _title, text, *_rest: balloons.append(text))
    teller = QtTeller(None, Earcons(log_to=tmp_path))  # no speaker: the app is silent
    teller.views.append(tray)
    problem = "There is no image on the clipboard. Copy an image first, then try again."
    teller.fail(problem)
    teller.set_status("Describing the screen…")
    teller.say("A cat on a sofa.")
    assert balloons == [problem, "A cat on a sofa."]
    assert announced == [problem, "A cat on a sofa."]


def test_where_the_desktop_reads_out_the_balloons_they_are_not_announced_as_well(qtbot, monkeypatch):
    """Under Ubuntu's tray, a balloon is a GNOME Shell notification, which Orca reads out as it appears:
    announced as well, it would be heard twice."""
    from assistant.ui import views

    announced: list[str] = []
    monkeypatch.setattr(views, "announce", lambda _widget, text: announced.append(text))
    monkeypatch.setattr("assistant.speech.desktop_notice.tray_messages_read_out", lambda: True)
    tray = TrayView(lambda _name: None, DEFAULT_HOTKEYS)
    monkeypatch.setattr(tray.icon, "showMessage", lambda *_args: None)
    tray.learn_whether_balloons_are_read_out().join(5)
    tray.show_text("Assistant", "There is no image on the clipboard. Copy an image first, then try again.")
    assert announced == []
    assert tray.announces_said  # heard through the balloon: the dialog does not announce it either
