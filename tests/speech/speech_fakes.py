"""What the screen-reader tests share: a wait that only a hang runs out, the app's own voice as a list,
and the mark for tests that need a private speech-dispatcher."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from assistant.bench.screen_reader import PrivateSpeechDispatcher
from assistant.speech.backend import SpeechBackend

DEADLINE = 20.0  # only a hang reaches it

needs_speechd = pytest.mark.skipif(
    not PrivateSpeechDispatcher.available(),
    reason="needs speech-dispatcher (apt-get install speech-dispatcher)",
)


def wait_for(condition: Callable[[], object], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.01)


class OwnVoice(SpeechBackend):
    """The app's own voice, as a list of what it said; each utterance takes `seconds` unless cut off."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.said: list[str] = []
        self.stopped: list[str] = []
        self.seconds = seconds
        self.silenced = 0

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        on_start()
        if cancel.wait(self.seconds):
            self.stopped.append(text)
            return False
        self.said.append(text)
        return True

    def silence(self) -> None:
        self.silenced += 1
