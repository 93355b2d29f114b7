"""Describing a batch of pictures in one document language: the one routine the single-process run and
each Ray actor use, so both describe, retry and fail pictures alike."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.engine.base import Cancelled, EngineError
from assistant.engine.translate import in_language
from assistant.errors import UserError
from assistant.i18n import _

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from PIL import Image

    from assistant.engine.base import Engine


def words_on(picture: Image.Image) -> str:
    """The text read on a picture (OCR) for its alt-text; "" where it cannot be read, the run going on."""
    from assistant.ocr import read_text

    try:
        return " ".join(read_text(picture).lines)
    except UserError as error:
        log.warning("%s", error)
        return ""


def _primary(language: str) -> str:
    return language.split("_")[0].split("-")[0].lower() or "en"


@contextlib.contextmanager
def speaking(engine: Engine, language: str) -> Iterator[Engine]:
    """`engine` answering in `language` (a document's own) for the duration: a local model asked in it
    or translated (`in_language`), a model server's chat model asked in it. A server engine was set to
    the user's language when loaded; it is set back after, so the next document starts from that."""
    from assistant.engine.server import ServerEngine

    # ServerWithFallback keeps the server as .server; its local model answers in the server's language.
    server = getattr(engine, "server", engine)
    if not isinstance(server, ServerEngine):
        yield in_language(engine, language)
        return
    previous = server.answer_language
    server.answer_language = _primary(language)
    try:
        yield in_language(engine, language)
    finally:
        server.answer_language = previous


# An int8 model packed for this processor (`Engine.prepare_more`, which the app does while idle) pays for
# itself within a few pictures: BLIP-2 packed in 7-8 s on an Intel Xeon with AMX, and then reached its
# first sentence in 2.4 s instead of 3.4 and made 5.0-5.8 tokens a second instead of 3.8 (BENCHMARKS.md),
# about 2.5 s less for a 20-word alt-text. A run of fewer pictures is left as it is.
PREPARE_FROM = 4


def prepared_for(engine: Engine, pictures: int) -> None:
    """Finish `engine`'s preparing work once a run has `pictures` to describe, at least `PREPARE_FROM`
    (at once where there is none, as on a processor where packing does not pay)."""
    if pictures >= PREPARE_FROM:
        while engine.prepare_more():
            pass


def describe_each(
    engine: Engine, pictures: Sequence[Image.Image], batch_size: int
) -> list[str | EngineError]:
    """Each picture's description, or the error describing it alone ended in: the batch at once, and
    where the batch fails, its pictures one by one, so one bad picture fails alone. Stop (Cancelled)
    ends the run as Ctrl+C does."""
    try:
        texts: list[str | EngineError] = [
            *engine.describe_many(pictures, detail="brief", batch_size=batch_size)
        ]
        if len(texts) != len(pictures):
            raise EngineError(_("The engine returned the wrong number of descriptions."))
        return texts
    except Cancelled:
        raise KeyboardInterrupt from None
    except EngineError as error:
        if len(pictures) <= 1:
            return [error]
    texts = []
    for picture in pictures:  # find the picture that broke the batch; describe the rest
        try:
            texts.append(engine.describe_many([picture], detail="brief", batch_size=1)[0])
        except Cancelled:
            raise KeyboardInterrupt from None
        except EngineError as single_error:
            texts.append(single_error)
    return texts
