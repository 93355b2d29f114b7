"""The pieces of work one request is made of: a picture to take (`CaptureJob`), the picture taken
(`Captured`), and a describe or ask for the model (`Request`). Plain data, passed between threads."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from assistant.engine.base import Detail, Turn

ImageSource = Image.Image | Callable[[], Image.Image]
_ids = itertools.count(1)


def new_id() -> int:
    """A number for a piece of work: a request, a capture, a reading of text. One counter for them all,
    since a reading's number is that of the request or capture it belongs to, and must name no other."""
    return next(_ids)


@dataclass
class Captured:
    """A picture taken on the capture thread, with the window's title when it is one window."""

    image: Image.Image
    title: str = ""
    notice: str = ""  # said first: why the whole screen stands in for the window, say
    what: str = (
        "screen"  # what the picture is, as the blank message names it: screen, window, region, picture
    )


Grab = Callable[[], Captured]


@dataclass
class CaptureJob:
    """Take a picture (`grab` runs on the capture thread) and tell a blank one. A picture of the screen
    (`of_screen`) is not taken while the session is locked; the clipboard's image and files are."""

    grab: Grab
    of_screen: bool = True
    id: int = field(default_factory=new_id)  # shared with requests: a reading's number names one picture


@dataclass
class Request:
    """One describe or ask. `source` is the picture, or a callable run on the model thread that makes
    it (reading a file, say); `image` is the picture itself once the model thread has it."""

    kind: Literal["describe", "ask"]
    source: ImageSource
    detail: Detail = "brief"
    question: str = ""
    history: Sequence[Turn] = ()
    text_on_image: Sequence[str] = ()  # an ask's: the lines read on the picture, for the prompt
    cancel: threading.Event = field(default_factory=threading.Event)
    id: int = field(default_factory=new_id)
    image: Image.Image | None = None
