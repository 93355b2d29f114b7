"""The one kind of failure a user hears about: every package's errors derive from `UserError`.

A package raises its own subclass (EngineError, SpeechInputError, CaptureError, …) and a caller that only
needs to tell the user catches `UserError`, so no package imports another only for its error class.
"""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can act on; its message is one plain sentence saying what to do."""
