"""Stand-ins for what the session asks of the app: a clock moved by hand, and a record of every call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from assistant.config import Settings
from assistant.session import Captured, CaptureJob, Grab, Request, Session


@dataclass
class FakeTimer:
    when: float
    callback: Callable[[], None]
    cancelled: bool = False
    fired: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Time moves only when the test says so; timers due by then fire in order."""

    def __init__(self) -> None:
        self.now = 0.0
        self.timers: list[FakeTimer] = []

    def call_later(self, seconds: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + seconds, callback)
        self.timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while due := sorted(
            (t for t in self.timers if not (t.cancelled or t.fired) and t.when <= self.now),
            key=lambda t: t.when,
        ):
            due[0].fired = True
            due[0].callback()

    @property
    def pending(self) -> list[FakeTimer]:
        return [t for t in self.timers if not (t.cancelled or t.fired)]


@dataclass
class App:
    """The Teller, Outside and Dialog the session is given: each call recorded, work handed out kept to answer."""

    speaking: bool = True
    model_loading: bool = False
    said: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    hushed: int = 0
    jobs: list[CaptureJob] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    reads: list[tuple[int, Image.Image]] = field(default_factory=list)
    dialog: list[str] = field(default_factory=list)  # what the conversation window was asked to do
    answers: list[str] = field(default_factory=list)
    regions: list[Image.Image] = field(default_factory=list)
    text_shown: list[tuple[list[str], str]] = field(default_factory=list)
    screen: Image.Image | None = None
    dialog_open: bool = False  # the conversation window is on the screen

    # Teller
    def set_status(self, text: str) -> None:
        self.statuses.append(text)

    def show_progress(self, text: str) -> None:
        self.statuses.append(text)

    def say(self, text: str, interrupt: bool = False) -> None:
        if text.strip():
            self.said.append(text)

    def tell(self, text: str) -> None:
        self.set_status(text)
        self.say(text)

    def fail(self, message: str) -> None:
        self.failures.append(message)
        self.set_status(message)
        self.say(message, interrupt=True)

    def hush(self) -> None:
        self.hushed += 1

    # Outside
    def play(self, cue: str) -> None:
        self.cues.append(cue)

    def capture(self, job: CaptureJob) -> None:
        self.jobs.append(job)

    def submit(self, request: Request) -> None:
        self.requests.append(request)

    def read_text_on(self, number: int, image: Image.Image) -> None:
        self.reads.append((number, image))

    def screen_grab(self) -> Grab:
        screen = self.screen if self.screen is not None else text_picture("Hello")
        return lambda: Captured(screen)

    def choose_region(self, image: Image.Image) -> None:
        self.regions.append(image)

    @property
    def dialog_visible(self) -> bool:
        """Shown by the test (`dialog_open`) or by the session, and not hidden since."""
        return self.dialog_open

    def show_dialog(self) -> None:
        self.dialog.append("shown")
        self.dialog_open = True

    def hide_dialog(self) -> None:
        self.dialog.append("hidden")
        self.dialog_open = False

    def show_picture(self, image: Image.Image, description: str, lines: Sequence[str], note: str) -> None:
        self.dialog.append(f"picture: {description}")

    def show_text_on_image(self, lines: Sequence[str], note: str) -> None:
        self.text_shown.append((list(lines), note))

    def add_answer(self, answer: str) -> None:
        self.answers.append(answer)

    def answer_failed(self, message: str) -> None:
        self.dialog.append(f"failed: {message}")

    def answer_cancelled(self) -> None:
        self.dialog.append("cancelled")


def text_picture(text: str = "Hello", size: tuple[int, int] = (160, 64)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 20), text, fill="black", font=ImageFont.load_default(16))
    return image


def make_session(**settings: object) -> tuple[Session, App, FakeClock]:
    app, clock = App(), FakeClock()
    return Session(Settings(**settings), app, app, app, clock), app, clock  # type: ignore[arg-type]


def take(session: Session, app: App) -> Captured:
    """Answer the last capture job as the capture thread does when the picture is neither locked nor blank."""
    job = app.jobs[-1]
    captured = job.grab()
    session.on_captured(job.id, captured)
    return captured


def describe_screen(session: Session, app: App, image: Image.Image | None = None) -> Request:
    """Press "describe the screen" and take the picture: the describe request the model thread gets."""
    app.screen = image
    session.describe_screen()
    take(session, app)
    request = app.requests[-1]
    session.on_image_ready(request.id, request.source)  # type: ignore[arg-type]
    return request
