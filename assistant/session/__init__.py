"""The app's flow without Qt: one request from key to last word (see docs/architecture-session.md).

`Session` is the flow, driven by events; `steps` are the slow parts run on other threads (or in turn
by the command line); `Conversation` is the talk about the last picture.
"""

from assistant.session.clock import Clock, Timer
from assistant.session.conversation import Conversation
from assistant.session.core import STILL_LOADING, Session
from assistant.session.ports import Dialog, Outside, Teller
from assistant.session.work import Captured, CaptureJob, Grab, ImageSource, Request, new_id

__all__ = [
    "STILL_LOADING",
    "CaptureJob",
    "Captured",
    "Clock",
    "Conversation",
    "Dialog",
    "Grab",
    "ImageSource",
    "Outside",
    "Request",
    "Session",
    "Teller",
    "Timer",
    "new_id",
]
