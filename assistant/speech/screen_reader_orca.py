"""The screen reader through Orca's own D-Bus service (Orca 49 and later; orca_service.py): speech
with the user's Orca voice, and braille."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from assistant.i18n import _
from assistant.speech.orca_service import OrcaService, OrcaServiceError, OrcaServiceSilent
from assistant.speech.screen_reader_routes import ORCA_SERVICE, ScreenReaderLost

log = logging.getLogger(__name__)


class OrcaServiceRoute:
    """Orca through its D-Bus service: PresentMessage speaks each message and flashes it in braille.

    Orca reports no end of speech, so each message is handed over at once; Orca speaks it after the
    ones before (orca_service.py says why they queue), and InterruptSpeech drops them all.
    """

    name = ORCA_SERVICE

    def __init__(self) -> None:
        try:
            self._service = OrcaService.find()
        except OrcaServiceError as error:
            raise ScreenReaderLost(
                _("Orca is not reached through its D-Bus service: {error}").format(error=error),
                stuck=isinstance(error, OrcaServiceSilent),
            ) from None

    @property
    def description(self) -> str:
        service = self._service
        return _("{name} through its D-Bus service ({bus_name}): its voice and braille display").format(
            name=service.name, bus_name=service.dialect.bus_name
        )

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        try:
            self._service.present(text)
        except OrcaServiceError as error:
            raise ScreenReaderLost(
                _("Orca's D-Bus service stopped answering: {error}").format(error=error),
                stuck=isinstance(error, OrcaServiceSilent),
            ) from None
        on_start()
        return True

    def silence(self) -> None:
        try:
            self._service.interrupt()
        except OrcaServiceError as error:
            log.info("Orca could not be told to stop: %s", error)

    def close(self) -> None:
        self._service.close()
