"""The app's actions: their names (as used by hotkeys and `assistant trigger`) and menu labels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # with an & before the mnemonic letter
    help: str


ACTIONS = (
    Action("describe-screen", "Describe &screen", "Describe the monitor under the mouse pointer."),
    Action("describe-region", "Describe &region…", "Choose a part of the screen and describe it."),
    Action("describe-clipboard", "Describe &clipboard image", "Describe the image on the clipboard."),
    Action("describe-file", "Describe image &file…", "Choose an image file and describe it."),
    Action("ask", "&Ask about the last image…", "Open the conversation about the last image."),
    Action("listen", "Ask by &voice", "Listen for a spoken question about the last image."),
    Action("stop", "Sto&p speaking", "Stop speaking and stop the current description."),
    Action("settings", "Se&ttings…", "Change hotkeys, voice, and model."),
    Action("quit", "&Quit", "Quit the assistant."),
)
BY_NAME = {action.name: action for action in ACTIONS}


def plain_label(action: Action) -> str:
    """The label as a screen reader should say it: no mnemonic marker, no ellipsis."""
    return action.label.replace("&", "").rstrip("…")
