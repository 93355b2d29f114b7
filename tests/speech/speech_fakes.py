"""What the screen-reader tests share: a wait that only a hang runs out, the app's own voice as a list,
and a private speech-dispatcher with the mark for the tests that need one."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.bench.screen_reader import PrivateSpeechDispatcher
from assistant.speech.backend import SpeechBackend
from assistant.speech.screen_reader import Lookout, ScreenReaderBackend
from assistant.speech.speaker import Speaker

DEADLINE = 20.0  # only a hang reaches it

needs_speechd = pytest.mark.skipif(
    not PrivateSpeechDispatcher.available(),
    reason="needs speech-dispatcher (apt-get install speech-dispatcher)",
)


@contextlib.contextmanager
def private_speechd(
    folder: Path, monkeypatch: pytest.MonkeyPatch, seconds: float | None = None
) -> Iterator[PrivateSpeechDispatcher]:
    """A private speech-dispatcher in `folder`, the one this process's clients reach; its voice takes
    `seconds` over each message (the harness's default where None)."""
    options = {} if seconds is None else {"seconds": seconds}
    server = PrivateSpeechDispatcher(folder, **options).start()
    monkeypatch.setenv("SPEECHD_ADDRESS", server.address)
    try:
        yield server
    finally:
        server.stop()


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


@contextlib.contextmanager
def speakers(default_lookout: Callable[[], Lookout]) -> Iterator[Callable[..., Speaker]]:
    """Makes Speakers over the screen-reader backend with `own` as its own voice, ready to speak, and
    closes each at the end (a Speaker left running is a thread left behind)."""
    made: list[Speaker] = []

    def make(own: OwnVoice, lookout: Lookout | None = None, speak_with: str = "screen-reader") -> Speaker:
        chosen = lookout or default_lookout()
        speaker = Speaker(lambda: ScreenReaderBackend(lambda: own, speak_with, chosen))
        made.append(speaker)
        assert speaker.wait_ready(DEADLINE)
        return speaker

    yield make
    for speaker in made:
        assert speaker.close(timeout=DEADLINE)
