"""The listening thread: hears one spoken question and turns it into text, off the Qt thread.

A `ListenWorker` lives on its own QThread and owns the speech-to-text model (loaded on first use).
Each request brings a fresh `Listener` (the Qt thread keeps it, to stop listening when the key is
pressed again) and a way to open the audio source: the microphone, or any other source of 16 kHz
blocks, such as a recording fed through the same path.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from assistant.errors import UserError
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.speech.microphone import Listener
    from assistant.speech.stt import Transcriber

log = logging.getLogger(__name__)

AudioSource = Callable[[], AbstractContextManager[Iterable[np.ndarray]]]


def microphone_source(device: str | None) -> AudioSource:
    """Opens the microphone chosen in Settings (None: the system default)."""

    def open_microphone() -> AbstractContextManager[Iterable[np.ndarray]]:
        from assistant.speech.microphone import Microphone

        return Microphone(device)

    return open_microphone


def recording_source(
    recording: str | os.PathLike[str] | np.ndarray, sample_rate: int = 16_000, realtime: bool = True
) -> AudioSource:
    """A recording (an audio file, or samples at `sample_rate`) fed to the listener at the pace of
    speech, through the same path as the microphone."""

    def open_recording() -> AbstractContextManager[Iterable[np.ndarray]]:
        from assistant.speech.microphone import recording_blocks

        return contextlib.nullcontext(recording_blocks(recording, sample_rate, realtime=realtime))

    return open_recording


@dataclass
class ListenRequest:
    listener: Listener
    open_source: AudioSource
    stt_model: str
    language: str | None


class ListenWorker(QObject):
    """Lives on the listening thread. Connect to `listen` with a queued signal only."""

    loading = Signal(str)
    heard = Signal()  # speech was heard and listening ended (silence, key pressed again, the source ended)
    stopped = Signal()  # listening ended with nothing heard (stopped before any speech)
    transcribed = Signal(str)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._transcriber: Transcriber | None = None
        self._transcriber_key: tuple[str, str | None] | None = None

    @Slot(object)
    def listen(self, request: ListenRequest) -> None:
        try:
            with request.open_source() as source:
                samples = request.listener.listen(source)
        except UserError as error:  # SpeechInputError: no microphone, busy device, no speech, …
            self.failed.emit(str(error))
            return
        except Exception:
            log.exception("Listening failed")
            self.failed.emit(_("Listening failed; type your question instead."))
            return
        if samples.size == 0:
            self.stopped.emit()
            return
        self.heard.emit()  # only now: "working out what you said" follows it
        try:
            text = self._transcriber_for(request).transcribe(samples)
        except UserError as error:
            self.failed.emit(str(error))
            return
        except Exception:
            log.exception("Transcription failed")
            self.failed.emit(_("The speech could not be turned into text; type your question instead."))
            return
        self.transcribed.emit(text)

    def _transcriber_for(self, request: ListenRequest) -> Transcriber:
        from assistant.speech.stt import Transcriber

        wanted = (request.stt_model, request.language)
        if self._transcriber is None or self._transcriber_key != wanted:
            self.loading.emit(_("Loading the speech model…"))
            transcriber = Transcriber(request.stt_model, language=request.language)
            transcriber.load()
            self._transcriber, self._transcriber_key = transcriber, wanted
        return self._transcriber
