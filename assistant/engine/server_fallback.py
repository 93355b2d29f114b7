"""A model server with the local model behind it: when the server fails, the local model answers.

The local model loads only the first time it is needed, and only where it is on this computer already
(a failing server never starts a download of gigabytes in the middle of a request). A request the server has already begun to answer
is not restarted on the local model (what was spoken would be said twice); its failure is told instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from PIL import Image

from assistant.engine.base import Detail, Engine, TextCallback, Turn
from assistant.engine.server import ServerEngine
from assistant.engine.server_stream import ServerError
from assistant.engine.translate import in_language
from assistant.i18n import _

log = logging.getLogger(__name__)
T = TypeVar("T")


class ServerWithFallback(Engine):
    """Sends every request to `server` first; `load_local` builds the local engine on the first failure,
    or returns None where there is none to build (then the server's failure is told)."""

    def __init__(self, server: ServerEngine, load_local: Callable[[], Engine | None]) -> None:
        self.server = server
        self._load_local = load_local
        self.local: Engine | None = None
        self._on_local = False  # the last request was answered locally
        self.notices: list[str] = []

    @property
    def summary(self) -> str:
        return _("{summary}, with the local model when it fails").format(summary=self.server.summary)

    def prepare_more(self) -> bool:
        return self.local is not None and self.local.prepare_more()

    def _notify(self, message: str) -> None:
        self.notices.append(message)
        log.info(message)  # the user hears it through on_notice; a warning would print it again
        if self.on_notice is not None:
            self.on_notice(message)

    def _try(
        self,
        on_text: TextCallback | None,
        on_server: Callable[[TextCallback | None], T],
        locally: Callable[[Engine, TextCallback | None], T],
    ) -> T:
        spoken: list[str] = []

        def heard(text: str) -> None:
            spoken.append(text)
            if on_text is not None:
                on_text(text)

        try:
            result = on_server(heard if on_text is not None else None)
        except ServerError as error:
            if spoken:
                raise
            if self.local is None:
                local = self._load_local()
                if local is None:
                    raise
                self._notify(_("{error} Meanwhile the local model answers.").format(error=error))
                self.local = local
                self.notices.extend(local.notices)
            elif not self._on_local:
                self._notify(_("{error} Meanwhile the local model answers.").format(error=error))
            self._on_local = True
            # In the language the server is asked in now: a document's own during alt-text (the local
            # model was loaded in the user's).
            return locally(in_language(self.local, self.server.answer_language), on_text)
        if self._on_local:
            self._notify(_("The model server answers again."))
            self._on_local = False
        return result

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        return self._try(
            on_text,
            lambda heard: self.server.describe(image, detail, heard, cancel),
            lambda local, heard: local.describe(image, detail, heard, cancel),
        )

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
        *,
        text_on_image: Sequence[str] = (),
    ) -> str:
        return self._try(
            on_text,
            lambda heard: self.server.ask(
                image, question, history, heard, cancel, text_on_image=text_on_image
            ),
            lambda local, heard: local.ask(
                image, question, history, heard, cancel, text_on_image=text_on_image
            ),
        )

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        return self._try(
            None,
            lambda _: self.server.describe_many(images, detail, batch_size),
            lambda local, _: local.describe_many(images, detail, batch_size),
        )
