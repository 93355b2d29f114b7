"""The conversation about the last picture: the picture, its description, the questions asked since.

The app keeps one for the picture last described or read; `assistant ask` keeps one for its image, with
the turns of its --history file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from assistant.engine.base import Turn
from assistant.i18n import _
from assistant.session.work import Request


@dataclass
class Conversation:
    image: Image.Image | None = None
    description: str = ""
    turns: list[Turn] = field(default_factory=list)

    def new_picture(self, image: Image.Image | None, description: str = "") -> None:
        """Questions are about `image` from now on; those about the last picture are not carried over."""
        self.image, self.description, self.turns = image, description, []

    def question(self, question: str, text_on_image: Sequence[str] = ()) -> Request:
        """The request that asks `question` about the picture, with the turns so far and its text."""
        if self.image is None:
            raise ValueError(_("There is no picture to ask about."))
        return Request(
            "ask",
            self.image,
            question=question,
            history=tuple(self.turns),
            text_on_image=tuple(text_on_image),
        )

    def answered(self, question: str, answer: str) -> None:
        self.turns.append(Turn(question, answer))
