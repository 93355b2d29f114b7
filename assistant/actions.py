"""The app's actions, listed once: what settings, hotkeys, `assistant trigger` and the menus all read.

Each action has a name (the key in the settings' `[hotkeys]` table, and what `assistant trigger NAME`
sends), a menu label with its mnemonic, a one-line help, a default hotkey and whether it may be
triggered from outside. Hotkeys are written in the normal form of `assistant.hotkeys.combos`
("ctrl+alt+d"); `hotkey_text` shows one as menus do and `spoken_hotkey` says one aloud. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # the menu label, with an & before the mnemonic letter
    help: str
    hotkey: str = ""  # the default hotkey; "" for none
    trigger: bool = True  # whether `assistant trigger NAME` may send it

    @property
    def spoken_name(self) -> str:
        """The label as a screen reader should say it: no mnemonic marker, no ellipsis."""
        return self.label.replace("&", "").rstrip("…")


ACTIONS: tuple[Action, ...] = (
    Action(
        "describe-screen",
        "Describe &screen",
        "Describe the monitor under the mouse pointer.",
        "ctrl+alt+d",
    ),
    Action(
        "describe-region",
        "Describe &region…",
        "Choose a part of the screen and describe it.",
        "ctrl+alt+r",
    ),
    Action(
        "describe-window",
        "Describe the focused &window",
        "Describe only the window that has the focus, its title first.",
        "ctrl+alt+w",
    ),
    Action(
        "read-text",
        "Read the te&xt",
        "Read aloud the text of the window that has the focus, without the model.",
        "ctrl+alt+t",
    ),
    Action(
        "read-all-text",
        "Read all the t&ext",
        "Read the rest of the text of the last picture, from where the word limit cut it.",
        "ctrl+alt+e",
    ),
    Action(
        "describe-clipboard",
        "Describe &clipboard image",
        "Describe the image on the clipboard.",
        "ctrl+alt+v",
    ),
    # Choosing the file needs a file dialog in the app, so it is not sent from outside.
    Action("describe-file", "Describe image &file…", "Choose an image file and describe it.", trigger=False),
    Action("ask", "&Ask about the last image…", "Open the conversation about the last image.", "ctrl+alt+a"),
    Action("listen", "Ask by &voice", "Listen for a spoken question about the last image.", "ctrl+alt+q"),
    Action("stop", "Sto&p speaking", "Stop speaking and stop the current description.", "ctrl+alt+s"),
    Action("settings", "Se&ttings…", "Change hotkeys, voice, and model."),
    Action("quit", "&Quit", "Quit the assistant."),
)

BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
TRIGGER_NAMES: tuple[str, ...] = tuple(action.name for action in ACTIONS if action.trigger)
DEFAULT_HOTKEYS: dict[str, str] = {action.name: action.hotkey for action in ACTIONS if action.hotkey}
# Settings offers a hotkey field for each action that has a default; the settings file may bind any.
HOTKEY_ACTIONS: tuple[Action, ...] = tuple(action for action in ACTIONS if action.hotkey)

_SPOKEN_KEYS = {
    "ctrl": "Control",
    "esc": "Escape",
    "`": "Grave",
    "-": "Minus",
    "=": "Equals",
    "[": "Left Bracket",
    "]": "Right Bracket",
    ";": "Semicolon",
    "'": "Apostrophe",
    ",": "Comma",
    ".": "Period",
    "/": "Slash",
    "\\": "Backslash",
}


def hotkey_text(combo: str) -> str:
    """A hotkey as menus show it: "ctrl+alt+d" -> "Ctrl+Alt+D"; "" for none."""
    return "+".join(_key_words(part) for part in combo.split("+")) if combo else ""


def spoken_hotkey(combo: str) -> str:
    """A hotkey as words for speech: "ctrl+alt+d" -> "Control Alt D"; "" for none."""
    if not combo:
        return ""
    return " ".join(_SPOKEN_KEYS.get(part) or _key_words(part) for part in combo.split("+"))


def how_to_run(name: str, hotkeys: Mapping[str, str]) -> str:
    """How the user starts action `name`, for a spoken hint: "with Control Alt D", else "from the menu"."""
    combo = hotkeys.get(name, "")
    return f"with {spoken_hotkey(combo)}" if combo else "from the Assistant menu or window"


def how_to_press(name: str, hotkeys: Mapping[str, str]) -> str:
    """What the user does to run action `name`, to end a spoken sentence with: "press Control Alt E",
    else "choose Read all the text in the Assistant menu or window"."""
    combo = hotkeys.get(name, "")
    if combo:
        return f"press {spoken_hotkey(combo)}"
    return f"choose {BY_NAME[name].spoken_name} in the Assistant menu or window"


def _key_words(part: str) -> str:
    return part.replace("_", " ").title() if len(part) > 1 else part.upper()
