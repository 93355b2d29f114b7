"""The slow steps of a request, each a plain function run on a thread of its own (the app's capture,
model and OCR threads) or in turn (the command line): taking the picture, describing or answering,
reading the text on it. Their results go back to the `Session` as events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from assistant.engine.base import Engine, EngineError
from assistant.errors import UserError
from assistant.i18n import _
from assistant.session.work import Captured, CaptureJob, Request


@dataclass(frozen=True)
class Taken:
    """What came of a capture job: the picture, or one sentence saying why there is none.

    `refused`: the screen is locked or the picture blank (said, not an error); otherwise `message` is a
    failure (the error cue, then said)."""

    captured: Captured | None = None
    message: str = ""
    refused: bool = False


@dataclass(frozen=True)
class Blank:
    colour: str  # "black", "dark blue"
    message: str  # what is said instead of a description: "The window is blank: all black."


def blank(image: Image.Image, what: str) -> Blank | None:
    """A blank picture's colour and the sentence naming it (`what` it is); None where there is something
    to describe."""
    from assistant.capture import blank_colour, blank_message

    colour = blank_colour(image)
    return None if colour is None else Blank(colour, blank_message(colour, what))


def take_picture(job: CaptureJob) -> Taken:
    """Run a capture job: not while the session is locked (a picture of the screen), and a blank
    picture is named, not kept."""
    from assistant.capture import LOCKED_MESSAGE, screen_is_locked

    if job.of_screen and screen_is_locked():
        return Taken(message=_(LOCKED_MESSAGE), refused=True)
    try:
        captured = job.grab()
    except UserError as error:
        return Taken(message=str(error))
    found = blank(captured.image, captured.what)
    if found is not None:
        return Taken(message=found.message, refused=True)
    return Taken(captured)


def screen_at(point: tuple[int, int]) -> Captured:
    """The monitor holding `point` (the screen's own pixels)."""
    from assistant.capture import grab_screen

    return Captured(grab_screen(at=point))


def focused_window_or_screen(point: tuple[int, int]) -> Captured:
    """The focused window, its title to be said; the screen at `point` where no window has the focus."""
    from assistant.capture import NoFocusedWindow, grab_focused_window, grab_screen

    try:
        window, image = grab_focused_window()
    except NoFocusedWindow as error:
        return Captured(grab_screen(at=point), notice=str(error))
    return Captured(image, title=window.spoken_title, what="window")


def read_lines(image: Image.Image) -> list[str]:
    """The lines of text on the picture, in reading order (OcrError, a UserError, where OCR cannot run)."""
    from assistant.ocr import read_text

    return read_text(image).lines


def run_request(
    engine: Engine | None,
    request: Request,
    image: Image.Image | None = None,
    on_text: Callable[[str], None] | None = None,
    not_loaded: str = "",
) -> str:
    """Describe or answer with `engine`, streaming the text so far to `on_text`; `request.cancel` cuts it
    off (Cancelled). `image`: the request's picture where it is made already (else from its source).
    Where there is no engine, EngineError says `not_loaded` (why it is not)."""
    if image is None:
        image = request.source() if callable(request.source) else request.source
    if engine is None:
        raise EngineError(not_loaded or _("The model is not loaded."))
    if request.kind == "describe":
        return engine.describe(image, request.detail, on_text, request.cancel)
    return engine.ask(
        image, request.question, request.history, on_text, request.cancel, text_on_image=request.text_on_image
    )
