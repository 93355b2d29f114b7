"""The recording backend: each utterance becomes DIR/NNNN.wav and DIR/NNNN.txt, "played" in real time.

`assistant run --speech-to DIR` and the tests listen through it: what was said, in order, and where a
stop cut it off, through the same interface as real speech.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.files import replace_text
from assistant.i18n import _, os_reason
from assistant.speech.backend import SpeechUnavailable
from assistant.speech.espeak import EspeakSynthesizer, EspeakVoice


class RecordingBackend(EspeakVoice):
    """Writes each utterance as DIR/NNNN.wav (real audio) and DIR/NNNN.txt, and "plays" it in real time.

    The .txt is written last and atomically, so a reader that sees it finds the .wav complete. An utterance
    cut off by stop is truncated to what had been played, and its .txt gets a second line "[stopped]".
    """

    def __init__(self, directory: Path, synthesizer: EspeakSynthesizer | None = None) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpeechUnavailable(
                _("cannot write to {directory}: {value}").format(
                    directory=self.directory, value=os_reason(error)
                ),
                _("choose a folder you can write to"),
            ) from None
        self.synth = synthesizer or EspeakSynthesizer()
        self._next = 1 + max(
            (int(p.stem) for p in self.directory.glob("[0-9]*.*") if p.stem.isdigit()), default=0
        )

    @property
    def description(self) -> str:
        return _("{version}, recorded to {directory}").format(
            version=self.synth.version(), directory=self.directory
        )

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        audio = self.synth.synthesize(text, timeout=self.synth.time_limit(text))
        if cancel.is_set():
            return False  # stopped before a sound was made: nothing to record
        wav_path = self._reserve()
        with wav_path.open("wb") as file:
            audio.write_wav(file)
        on_start()
        began = time.monotonic()
        stopped = cancel.wait(audio.duration)
        if stopped:
            with wav_path.open("wb") as file:
                audio.head(time.monotonic() - began).write_wav(file)
        line = " ".join(text.split())
        replace_text(wav_path.with_suffix(".txt"), f"{line}\n[stopped]\n" if stopped else f"{line}\n")
        return not stopped

    def _reserve(self) -> Path:
        """Create the next free DIR/NNNN.wav; never reuses a number."""
        while True:
            number = self._next
            self._next += 1
            wav_path = self.directory / f"{number:04d}.wav"
            if wav_path.with_suffix(".txt").exists():
                continue
            try:
                wav_path.open("xb").close()
            except FileExistsError:
                continue
            return wav_path
