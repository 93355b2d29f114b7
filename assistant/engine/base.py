"""The interface every captioning backend implements; the UI and document tools see only this."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from PIL import Image

from assistant.errors import UserError
from assistant.i18n import _

Detail = Literal["brief", "detailed"]
TextCallback = Callable[[str], None]


class EngineError(UserError):
    """The model could not be loaded or could not answer; the message says what to do."""


@dataclass(frozen=True)
class Turn:
    """One question about an image and the answer it got."""

    question: str
    answer: str


class EmptyQuestion(EngineError):
    def __init__(self) -> None:
        super().__init__(_("The question is empty. Type or say a question about the image."))


def require_question(question: str) -> None:
    """Every backend's `ask` refuses a question of nothing but spaces in the same sentence."""
    if not question.strip():
        raise EmptyQuestion()


class Cancelled(EngineError):
    def __init__(self) -> None:
        super().__init__(_("Stopped."))


class IdleWork(Protocol):
    """Work done in short steps while a model is idle."""

    def step(self) -> bool:
        """Do one step; whether any is left."""
        ...


class Engine(ABC):
    """Describes images and answers questions about them.

    `on_text` receives the cleaned text so far each time it grows, so speech can start on the
    first sentence. `cancel` (a threading.Event) stops generation early; the call then raises
    `Cancelled`. Implementations are used from one owner thread.

    `ask` answers from the picture and from `text_on_image`, the lines of text read on it (by OCR, in
    reading order), which the prompt holds before the question as far as the model's context allows.

    `notices` holds sentences about changes the user should hear of (such as falling back from
    the graphics card after running out of its memory); `on_notice`, when set, is called with each
    new one as it happens.
    """

    notices: Sequence[str] = ()
    on_notice: Callable[[str], None] | None = None

    idle_work: IdleWork | None = None  # what `prepare_more` runs, where a backend has any

    def prepare_more(self) -> bool:
        """Do one more short piece of the work that makes later requests faster (packing an int8 layer
        for this processor: `int8.Packing`); the model's owner calls it while idle, until it says nothing
        is left. A backend with nothing to prepare says so at once."""
        return self.idle_work is not None and self.idle_work.step()

    @abstractmethod
    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str: ...

    @abstractmethod
    def ask(
        self,
        image: Image.Image,
        question: str,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
        *,
        text_on_image: Sequence[str] = (),
    ) -> str: ...

    @abstractmethod
    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        """Describe several images, batched for throughput; results are in input order."""

    @property
    @abstractmethod
    def summary(self) -> str:
        """One line saying which model runs where, in what precision."""
