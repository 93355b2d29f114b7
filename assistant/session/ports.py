"""What the session needs of the app around it, as protocols: the app's Qt side gives them (the
controller), the tests give plain stand-ins. The session calls them on its own thread only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PIL import Image

from assistant.session.work import CaptureJob, Grab, Request


class Teller(Protocol):
    """How the user is told something; every state change is shown and spoken."""

    def set_status(self, text: str) -> None:
        """Show the state (tray tooltip or window) without speaking it."""
        ...

    def show_progress(self, text: str) -> None:
        """Show a count that moves (seconds, percent), never to be read out at each step."""
        ...

    def say(self, text: str, interrupt: bool = False) -> None:
        """Speak `text`, or show it where speech is off or broken."""
        ...

    def tell(self, text: str) -> None:
        """A state change: shown and spoken."""
        ...

    def fail(self, message: str) -> None:
        """A failure: the error cue, then shown and spoken at once."""
        ...

    def hush(self) -> None:
        """Stop speaking now."""
        ...


class Outside(Protocol):
    """The work the session hands to other threads, the region overlay and the cues.

    Each piece of work answers later, on the session's thread, through the `Session.on_…` events named."""

    @property
    def speaking(self) -> bool:
        """Whether speech is on and working (otherwise whole texts are shown once finished)."""
        ...

    @property
    def model_loading(self) -> bool:
        """Whether the model is still loading (a request then waits for it)."""
        ...

    def play(self, cue: str) -> None:
        """Play an earcon ("working")."""
        ...

    def capture(self, job: CaptureJob) -> None:
        """Run `job` on the capture thread: on_captured, on_refused or on_capture_failed follows."""
        ...

    def submit(self, request: Request) -> None:
        """Run `request` on the model thread: on_image_ready and on_text as it goes, then on_finished,
        on_failed or on_cancelled."""
        ...

    def read_text_on(self, number: int, image: Image.Image) -> None:
        """Read the text on `image` on the OCR thread: on_text_read or on_text_failed, with `number`."""
        ...

    def screen_grab(self) -> Grab:
        """What takes a picture of the screen under the pointer, where the pointer is now."""
        ...

    def choose_region(self, image: Image.Image) -> None:
        """Let the user choose a region of `image`: region_chosen or region_cancelled follows."""
        ...


class Dialog(Protocol):
    """The conversation window (the dialog): each call does nothing where the window was never opened,
    but `show_dialog`, which opens it."""

    @property
    def dialog_visible(self) -> bool:
        """Whether the conversation window is on the screen (shown, not minimised): in a picture taken now."""
        ...

    def show_dialog(self) -> None:
        """Bring the conversation window back: focused, unless it was hidden while another window had
        the focus (a capture key pressed there), which then keeps it."""
        ...

    def hide_dialog(self) -> None:
        """Hide the conversation window (where it is open) so that it is not in the picture."""
        ...

    def show_picture(self, image: Image.Image, description: str, lines: Sequence[str], note: str) -> None:
        """The conversation window is about `image` now, its text `lines` (or `note`)."""
        ...

    def show_text_on_image(self, lines: Sequence[str], note: str) -> None:
        """The conversation window's "Text on it"."""
        ...

    def add_answer(self, answer: str) -> None:
        """The answer to the question asked in the conversation window."""
        ...

    def answer_failed(self, message: str) -> None: ...

    def answer_cancelled(self) -> None:
        """The question was cancelled: the conversation window's status is cleared."""
        ...
