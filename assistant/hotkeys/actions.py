"""The names of the app's actions, shared by hotkeys, the trigger command and the UI."""

from __future__ import annotations

ACTIONS: tuple[str, ...] = (
    "describe-screen",
    "describe-region",
    "describe-clipboard",
    "describe-file",
    "ask",
    "listen",
    "stop",
    "settings",
    "quit",
)

# What `assistant trigger ACTION` may send (describe-file needs a file dialog, so it stays in the menu).
TRIGGER_ACTIONS: tuple[str, ...] = (
    "describe-screen",
    "describe-region",
    "describe-clipboard",
    "ask",
    "listen",
    "stop",
    "quit",
    "settings",
)
