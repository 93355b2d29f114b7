"""Hotkey strings such as "ctrl+alt+d": parsing, validation and a normal form.

The grammar is our own, so settings files mean the same on every platform; each backend translates
a parsed `Hotkey` into its library's notation.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from assistant.errors import UserError
from assistant.i18n import _

MODIFIERS: tuple[str, ...] = ("ctrl", "alt", "shift", "super")

_MODIFIER_ALIASES = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "ctl": "ctrl",
    "alt": "alt",
    "option": "alt",
    "opt": "alt",
    "shift": "shift",
    "super": "super",
    "cmd": "super",
    "command": "super",
    "win": "super",
    "windows": "super",
    "meta": "super",
    "logo": "super",
}

NAMED_KEYS: tuple[str, ...] = (
    *(f"f{number}" for number in range(1, 25)),
    "space",
    "enter",
    "tab",
    "esc",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "page_up",
    "page_down",
    "up",
    "down",
    "left",
    "right",
    "print_screen",
    "pause",
    "scroll_lock",
    "menu",
)

_KEY_ALIASES = {
    "return": "enter",
    "escape": "esc",
    "del": "delete",
    "ins": "insert",
    "pgup": "page_up",
    "pageup": "page_up",
    "page-up": "page_up",
    "pgdn": "page_down",
    "pagedown": "page_down",
    "page-down": "page_down",
    "print": "print_screen",
    "printscreen": "print_screen",
    "print-screen": "print_screen",
    "prtsc": "print_screen",
    "break": "pause",
    "scrolllock": "scroll_lock",
    "apps": "menu",
}

# Single characters a hotkey may end with; "+" is the separator, so it cannot be one.
CHARACTER_KEYS = frozenset(string.ascii_lowercase + string.digits + "`-=[];',./\\")

# Keys that do not type anything, so they may be used without Ctrl, Alt or Super.
_STANDALONE_KEYS = frozenset((*(f"f{number}" for number in range(13, 25)), "pause", "scroll_lock"))


class HotkeyError(UserError, ValueError):
    """A hotkey string that cannot be used; the message is one sentence for the user."""


@dataclass(frozen=True)
class Hotkey:
    """A parsed hotkey: modifiers in the order of MODIFIERS, then one key."""

    modifiers: tuple[str, ...]
    key: str

    def __str__(self) -> str:
        return "+".join((*self.modifiers, self.key))

    @property
    def is_character(self) -> bool:
        return self.key in CHARACTER_KEYS


def parse_hotkey(text: str) -> Hotkey:
    """Parse "ctrl+alt+d" (case and spaces do not matter); raise HotkeyError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        # Translators: hotkeys are written in English key names (ctrl, alt, shift, super), as in the
        # settings file; keep those words and "ctrl+alt+d" as they are.
        raise HotkeyError(_("A hotkey is empty; write one like ctrl+alt+d."))
    parts = [part.strip().lower() for part in text.strip().split("+")]
    if any(not part for part in parts):
        raise HotkeyError(
            _('"{text}" is not a hotkey: write keys joined by "+", like ctrl+alt+d.').format(text=text)
        )
    *modifier_names, key_name = parts
    modifiers: set[str] = set()
    for name in modifier_names:
        modifier = _MODIFIER_ALIASES.get(name)
        if modifier is None:
            raise HotkeyError(
                _(
                    '"{text}" is not a hotkey: "{name}" is not a modifier; use ctrl, alt, shift or super.'
                ).format(text=text, name=name)
            )
        if modifier in modifiers:
            raise HotkeyError(
                _('"{text}" is not a hotkey: it names {modifier} twice.').format(text=text, modifier=modifier)
            )
        modifiers.add(modifier)
    if key_name in _MODIFIER_ALIASES:
        raise HotkeyError(
            _('"{text}" is not a hotkey: it needs a key after the modifiers, like ctrl+alt+d.').format(
                text=text
            )
        )
    key = _KEY_ALIASES.get(key_name, key_name)
    if key not in CHARACTER_KEYS and key not in NAMED_KEYS:
        raise HotkeyError(
            _(
                '"{text}" is not a hotkey: "{key}" is not a key name; use a letter, a digit, '
                "F1 to F24, or a name such as space, enter or page_down."
            ).format(text=text, key=key_name)
        )
    if not modifiers & {"ctrl", "alt", "super"} and key not in _STANDALONE_KEYS:
        raise HotkeyError(
            _('"{text}" would get in the way of typing; add ctrl, alt or super, like ctrl+alt+{key}.').format(
                text=text, key=key
            )
        )
    return Hotkey(tuple(name for name in MODIFIERS if name in modifiers), key)
