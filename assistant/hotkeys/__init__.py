"""Global hotkeys, each desktop's way of grabbing them chosen in one place. No Qt here. (The single
instance and `assistant trigger` live in assistant.instance.)"""

from assistant.hotkeys.combos import Hotkey, HotkeyError, parse_hotkey
from assistant.hotkeys.global_hotkeys import GlobalHotkeys

__all__ = [
    "GlobalHotkeys",
    "Hotkey",
    "HotkeyError",
    "parse_hotkey",
]
