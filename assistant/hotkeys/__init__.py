"""Global hotkeys and the single-instance trigger channel (`assistant trigger ACTION`). No Qt here."""

from assistant.hotkeys.combos import Hotkey, HotkeyError, parse_hotkey
from assistant.hotkeys.global_hotkeys import GlobalHotkeys
from assistant.hotkeys.trigger import TriggerError, TriggerServer, send_trigger

__all__ = [
    "GlobalHotkeys",
    "Hotkey",
    "HotkeyError",
    "TriggerError",
    "TriggerServer",
    "parse_hotkey",
    "send_trigger",
]
