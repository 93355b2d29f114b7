"""The one kind of failure a user hears about: every package's errors derive from `UserError`.

A package raises its own subclass (EngineError, SpeechInputError, CaptureError, …) and a caller that only
needs to tell the user catches `UserError`, so no package imports another only for its error class.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can act on; its message is one plain sentence saying what to do.

    The message is the command line's. Where the app (windows, tray, speech) must say what to do
    otherwise, a command to run there being a place in Settings here, `app_message` is its sentence."""

    app_message = ""

    def for_app(self) -> str:
        """The sentence the app says."""
        return self.app_message or str(self)


class Notice(str):
    """A sentence said once (an engine's `notices`), with the app's own where the command line's names
    a command to run: the app's user may have no terminal, and Settings is where they fix it."""

    app_message: str

    def __new__(cls, message: str, app_message: str = "") -> Notice:
        notice = super().__new__(cls, message)
        notice.app_message = app_message
        return notice

    def for_app(self) -> str:
        return self.app_message or str(self)


def for_app(message: str) -> str:
    """The sentence the app says for `message` (a `Notice`'s own, or the message itself)."""
    return message.for_app() if isinstance(message, Notice) else message
