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
