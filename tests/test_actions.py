"""The one list of actions: what settings, hotkeys, `assistant trigger` and the menus read."""

from __future__ import annotations

import pytest

from assistant.actions import (
    ACTIONS,
    BY_NAME,
    DEFAULT_HOTKEYS,
    HOTKEY_ACTIONS,
    NAMES,
    TRIGGER_NAMES,
    hotkey_text,
    how_to_press,
    how_to_run,
    spoken_hotkey,
)
from assistant.hotkeys.combos import parse_hotkey


def test_names_are_unique_and_the_menu_mnemonics_differ():
    assert len(set(NAMES)) == len(ACTIONS)
    letters = [action.label[action.label.index("&") + 1].lower() for action in ACTIONS]
    assert len(set(letters)) == len(letters)


def test_every_default_hotkey_is_in_normal_form_and_used_once():
    for name, combo in DEFAULT_HOTKEYS.items():
        assert str(parse_hotkey(combo)) == combo, name
    assert len(set(DEFAULT_HOTKEYS.values())) == len(DEFAULT_HOTKEYS)
    assert [action.name for action in HOTKEY_ACTIONS] == list(DEFAULT_HOTKEYS)


def test_what_may_be_triggered_from_outside():
    assert "describe-file" not in TRIGGER_NAMES  # it needs the app's file dialog
    assert set(TRIGGER_NAMES) < set(NAMES)


def test_spoken_names_leave_out_mnemonics_and_ellipses():
    assert BY_NAME["describe-region"].spoken_name == "Describe region"
    assert BY_NAME["stop"].spoken_name == "Stop speaking"


@pytest.mark.parametrize(
    ("combo", "shown", "spoken"),
    [
        ("ctrl+alt+d", "Ctrl+Alt+D", "Control Alt D"),
        ("ctrl+shift+page_down", "Ctrl+Shift+Page Down", "Control Shift Page Down"),
        ("super+f5", "Super+F5", "Super F5"),
        ("alt+esc", "Alt+Esc", "Alt Escape"),
        ("ctrl+alt+/", "Ctrl+Alt+/", "Control Alt Slash"),
        ("", "", ""),
    ],
)
def test_hotkeys_are_shown_as_menus_do_and_spoken_as_words(combo, shown, spoken):
    assert hotkey_text(combo) == shown
    assert spoken_hotkey(combo) == spoken


def test_a_hint_names_the_users_hotkey_or_the_menu():
    assert how_to_run("describe-screen", {"describe-screen": "ctrl+shift+f9"}) == "with Control Shift F9"
    assert how_to_run("describe-screen", {"describe-screen": ""}) == "from the Assistant menu or window"
    assert how_to_run("describe-screen", {}) == "from the Assistant menu or window"


def test_a_hint_says_which_key_to_press_or_what_to_choose():
    assert how_to_press("read-all-text", {"read-all-text": "ctrl+alt+e"}) == "press Control Alt E"
    assert how_to_press("read-all-text", {"read-all-text": "super+f5"}) == "press Super F5"
    assert how_to_press("read-all-text", {}) == ("choose Read all the text in the Assistant menu or window")
