"""The app's actions, listed once: what settings, hotkeys, `assistant trigger` and the menus all read.

Each action has a name (the key in the settings' `[hotkeys]` table, and what `assistant trigger NAME`
sends), a menu label with its mnemonic, a one-line help, a default hotkey and whether it may be
triggered from outside. Hotkeys are written in the normal form of `assistant.hotkeys.combos`
("ctrl+alt+d"); `hotkey_text` shows one as menus do and `spoken_hotkey` says one aloud. No Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.i18n import N_, _, pgettext


@dataclass(frozen=True)
class Action:
    name: str
    english_label: str  # the menu label, with an & before the mnemonic letter, in English (marked N_)
    english_help: str
    hotkey: str = ""  # the default hotkey; "" for none
    trigger: bool = True  # whether `assistant trigger NAME` may send it

    @property
    def label(self) -> str:
        """The menu label in the user's language (translated when asked, after the language is chosen)."""
        return _(self.english_label)

    @property
    def help(self) -> str:
        return _(self.english_help)

    @property
    def spoken_name(self) -> str:
        """The label as a screen reader should say it: no mnemonic marker, no ellipsis."""
        return self.label.replace("&", "").rstrip("…")


# Translators: the menu labels (tray, window, menu bar) and their tool tips. The letter after & is the
# menu's mnemonic (Alt and that letter); keep the mnemonics of the twelve labels different.
ACTIONS: tuple[Action, ...] = (
    Action(
        "describe-screen",
        N_("Describe &screen"),
        N_("Describe the monitor under the mouse pointer."),
        "ctrl+alt+d",
    ),
    Action(
        "describe-region",
        N_("Describe &region…"),
        N_("Choose a part of the screen and describe it."),
        "ctrl+alt+r",
    ),
    Action(
        "describe-window",
        N_("Describe the focused &window"),
        N_("Describe only the window that has the focus, its title first."),
        "ctrl+alt+w",
    ),
    Action(
        "read-text",
        N_("Read the te&xt"),
        N_("Read aloud the text of the window that has the focus, without the model."),
        "ctrl+alt+t",
    ),
    Action(
        "read-all-text",
        N_("Read all the t&ext"),
        N_("Read the rest of the text of the last picture, from where the word limit cut it."),
        "ctrl+alt+e",
    ),
    Action(
        "describe-clipboard",
        N_("Describe &clipboard image"),
        N_("Describe the image on the clipboard."),
        "ctrl+alt+v",
    ),
    # Choosing the file needs a file dialog in the app, so it is not sent from outside.
    Action(
        "describe-file",
        N_("Describe image &file…"),
        N_("Choose an image file and describe it."),
        trigger=False,
    ),
    Action(
        "ask",
        N_("&Ask about the last image…"),
        N_("Open the conversation about the last image."),
        "ctrl+alt+a",
    ),
    Action(
        "listen", N_("Ask by &voice"), N_("Listen for a spoken question about the last image."), "ctrl+alt+q"
    ),
    Action("stop", N_("Sto&p speaking"), N_("Stop speaking and stop the current description."), "ctrl+alt+s"),
    Action("settings", N_("Se&ttings…"), N_("Change hotkeys, voice, and model.")),
    Action("quit", N_("&Quit"), N_("Quit the assistant.")),
)

BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
TRIGGER_NAMES: tuple[str, ...] = tuple(action.name for action in ACTIONS if action.trigger)
DEFAULT_HOTKEYS: dict[str, str] = {action.name: action.hotkey for action in ACTIONS if action.hotkey}
# Settings offers a hotkey field for each action that has a default; the settings file may bind any.
HOTKEY_ACTIONS: tuple[Action, ...] = tuple(action for action in ACTIONS if action.hotkey)


def _spoken_keys() -> dict[str, str]:
    """Each key's name as a screen reader's user hears it, in the user's language (asked each time, so a
    language chosen after import applies). A letter or digit is said as itself."""
    # Translators: names of keys said aloud in hints such as "press Control Alt E"; say them as a
    # screen reader of your language names the keys.
    return {
        "ctrl": pgettext("spoken key", "Control"),
        "alt": pgettext("spoken key", "Alt"),
        "shift": pgettext("spoken key", "Shift"),
        "super": pgettext("spoken key", "Super"),
        "esc": pgettext("spoken key", "Escape"),
        "space": pgettext("spoken key", "Space"),
        "enter": pgettext("spoken key", "Enter"),
        "tab": pgettext("spoken key", "Tab"),
        "backspace": pgettext("spoken key", "Backspace"),
        "delete": pgettext("spoken key", "Delete"),
        "insert": pgettext("spoken key", "Insert"),
        "home": pgettext("spoken key", "Home"),
        "end": pgettext("spoken key", "End"),
        "page_up": pgettext("spoken key", "Page Up"),
        "page_down": pgettext("spoken key", "Page Down"),
        "up": pgettext("spoken key", "Up"),
        "down": pgettext("spoken key", "Down"),
        "left": pgettext("spoken key", "Left"),
        "right": pgettext("spoken key", "Right"),
        "print_screen": pgettext("spoken key", "Print Screen"),
        "pause": pgettext("spoken key", "Pause"),
        "scroll_lock": pgettext("spoken key", "Scroll Lock"),
        "menu": pgettext("spoken key", "Menu"),
        "`": pgettext("spoken key", "Grave"),
        "-": pgettext("spoken key", "Minus"),
        "=": pgettext("spoken key", "Equals"),
        "[": pgettext("spoken key", "Left Bracket"),
        "]": pgettext("spoken key", "Right Bracket"),
        ";": pgettext("spoken key", "Semicolon"),
        "'": pgettext("spoken key", "Apostrophe"),
        ",": pgettext("spoken key", "Comma"),
        ".": pgettext("spoken key", "Period"),
        "/": pgettext("spoken key", "Slash"),
        "\\": pgettext("spoken key", "Backslash"),
    }


def _shown_keys() -> dict[str, str]:
    """The names of keys that menus show differently in some languages (Shift is Mayús on a Spanish
    keyboard); other keys show as their English name, as keyboards print them."""
    # Translators: key names as printed on keyboards, shown in menus beside a command ("Ctrl+Alt+D").
    return {
        "ctrl": pgettext("key label", "Ctrl"),
        "shift": pgettext("key label", "Shift"),
        "esc": pgettext("key label", "Esc"),
        "space": pgettext("key label", "Space"),
        "enter": pgettext("key label", "Enter"),
        "backspace": pgettext("key label", "Backspace"),
        "delete": pgettext("key label", "Delete"),
        "insert": pgettext("key label", "Insert"),
        "home": pgettext("key label", "Home"),
        "end": pgettext("key label", "End"),
        "page_up": pgettext("key label", "Page Up"),
        "page_down": pgettext("key label", "Page Down"),
        "up": pgettext("key label", "Up"),
        "down": pgettext("key label", "Down"),
        "left": pgettext("key label", "Left"),
        "right": pgettext("key label", "Right"),
        "print_screen": pgettext("key label", "Print Screen"),
        "pause": pgettext("key label", "Pause"),
        "scroll_lock": pgettext("key label", "Scroll Lock"),
        "menu": pgettext("key label", "Menu"),
    }


def hotkey_text(combo: str) -> str:
    """A hotkey as menus show it: "ctrl+alt+d" -> "Ctrl+Alt+D"; "" for none."""
    shown = _shown_keys()
    return "+".join(shown.get(part) or _key_words(part) for part in combo.split("+")) if combo else ""


def spoken_hotkey(combo: str) -> str:
    """A hotkey as words for speech: "ctrl+alt+d" -> "Control Alt D"; "" for none."""
    if not combo:
        return ""
    spoken = _spoken_keys()
    return " ".join(spoken.get(part) or _key_words(part) for part in combo.split("+"))


def how_to_run(name: str, hotkeys: Mapping[str, str]) -> str:
    """How the user starts action `name`, for a spoken hint: "with Control Alt D", else "from the menu"."""
    combo = hotkeys.get(name, "")
    if combo:
        # Translators: ends a spoken hint such as "Describe the screen with Control Alt D".
        return _("with {keys}").format(keys=spoken_hotkey(combo))
    # Translators: ends a spoken hint, where the action has no hotkey.
    return _("from the Assistant menu or window")


def how_to_press(name: str, hotkeys: Mapping[str, str]) -> str:
    """What the user does to run action `name`, to end a spoken sentence with: "press Control Alt E",
    else "choose Read all the text in the Assistant menu or window"."""
    combo = hotkeys.get(name, "")
    if combo:
        # Translators: ends a spoken sentence such as "To hear the rest, press Control Alt E".
        return _("press {keys}").format(keys=spoken_hotkey(combo))
    # Translators: ends a spoken sentence, where the action has no hotkey; {action} is its menu label.
    return _("choose {action} in the Assistant menu or window").format(action=BY_NAME[name].spoken_name)


def _key_words(part: str) -> str:
    return part.replace("_", " ").title() if len(part) > 1 else part.upper()
