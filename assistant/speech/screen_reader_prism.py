"""The screen reader through prismatoid: NVDA and JAWS on Windows, VoiceOver on macOS."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from assistant.i18n import _
from assistant.speech.screen_reader_routes import (
    JAWS,
    NVDA,
    READER_OF_ROUTE,
    ROUTE_NAMES,
    VOICEOVER,
    ScreenReaderLost,
)

log = logging.getLogger(__name__)


class PrismRoute:
    """A screen reader reached through prismatoid: NVDA, JAWS or VoiceOver.

    These take a message and speak it on their own; none reports when it has finished, so each is
    handed over at once and cut off with the screen reader's own stop.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        try:
            import prism
        except ImportError:
            raise ScreenReaderLost("prismatoid is not installed") from None
        ids = {
            NVDA: prism.BackendId.NVDA,
            JAWS: prism.BackendId.JAWS,
            VOICEOVER: prism.BackendId.VOICE_OVER,
        }
        try:
            self._context = prism.Context()
            self._backend = self._context.create(ids[name])
            features = self._backend.features
        except Exception as error:
            raise ScreenReaderLost(
                _("{reader_of_route} is not there: {error}").format(
                    reader_of_route=READER_OF_ROUTE[name], error=error
                )
            ) from None
        if not features.is_supported_at_runtime:
            # VoiceOver's announcements, for one, go nowhere while VoiceOver is off.
            raise ScreenReaderLost(
                _("{reader_of_route} is not running").format(reader_of_route=READER_OF_ROUTE[name])
            )
        # output = speech and braille together, where the screen reader has both.
        self._send = self._backend.output if features.supports_output else self._backend.speak

    @property
    def description(self) -> str:
        # Translators: which screen reader speaks, and the way the app reaches it ("NVDA through NVDA's
        # controller client (speech and braille)").
        return _("{reader} through {route}").format(
            reader=READER_OF_ROUTE[self.name], route=_(ROUTE_NAMES[self.name])
        )

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        try:
            self._send(text)
        except Exception as error:
            raise ScreenReaderLost(
                _("{reader_of_route} stopped answering: {error}").format(
                    reader_of_route=READER_OF_ROUTE[self.name], error=error
                )
            ) from None
        on_start()
        return True

    def silence(self) -> None:
        try:
            self._backend.stop()
        except Exception as error:
            log.info("%s could not be told to stop: %s", READER_OF_ROUTE[self.name], error)

    def close(self) -> None:
        self._backend = None
        self._context = None
