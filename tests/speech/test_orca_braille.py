"""Orca's braille display, through Orca's D-Bus service: a private session bus with a stand-in for the
service (orca_service.py, recording each call) beside a private speech-dispatcher recording speech.

A sentence must reach speech-dispatcher once and the braille display once, Stop must end both, an Orca
that cannot show braille without speaking keeps speech only, and a missing or failing service leaves
speech going with one line in the log.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.speech.backend import SpeechBackend
from assistant.speech.bench import PrivateSpeechDispatcher
from assistant.speech.orca_service import (
    ORCA,
    ORCA1,
    OrcaService,
    OrcaServiceError,
    methods_of,
    orca_service_on_bus,
)
from assistant.speech.screen_reader import (
    Lookout,
    ScreenReaderBackend,
    describe_screen_reader,
    orca_runs,
)
from assistant.speech.speaker import Speaker

DEADLINE = 20.0  # only a hang reaches it
HERE = Path(__file__).parent
pytestmark = [
    pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="needs dbus-daemon"),
    # speech-dispatcher's client ends its reader thread with sys.exit() when the connection closes.
    pytest.mark.filterwarnings(
        "ignore:Exception in thread SSIP client communication thread:pytest.PytestUnhandledThreadExceptionWarning"
    ),
]
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
    """The app's own voice, as a list of what it said."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        on_start()
        self.said.append(text)
        return True


@pytest.fixture
def session_bus(monkeypatch, tmp_path) -> Iterator[str]:
    """A private session bus for this test, in this process's environment."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE, text=True
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    yield address
    daemon.terminate()
    daemon.wait(5)


@dataclass
class FakeOrca:
    """The stand-in service's process, and what it was called with."""

    process: subprocess.Popen[str]
    record: Path

    def calls(self, *members: str) -> list[list[object]]:
        """[member, args] of each call, in order; only those named, where names are given."""
        lines = self.record.read_text(encoding="utf-8").splitlines() if self.record.exists() else []
        calls = [json.loads(line) for line in lines]
        return [call for call in calls if not members or call[0] in members]

    def flashed(self) -> list[str]:
        return [str(args[0]) for _member, args in self.calls("DisplayMessage")]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)


@pytest.fixture
def start_orca(session_bus, tmp_path) -> Iterator[Callable[..., FakeOrca]]:
    started: list[FakeOrca] = []

    def start(generation: str, version: str, *silent_on: str) -> FakeOrca:
        record = tmp_path / f"{generation}-{len(started)}-calls.jsonl"
        process = subprocess.Popen(
            [sys.executable, str(HERE / "orca_service.py"), generation, version, str(record), *silent_on],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        fake = FakeOrca(process, record)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        if fake.process.poll() is None:
            fake.kill()


@pytest.fixture
def speechd(tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    """A private speech-dispatcher whose voice takes 0.3 s over each message."""
    server = PrivateSpeechDispatcher(tmp_path / "speechd", seconds=0.3).start()
    monkeypatch.setenv("SPEECHD_ADDRESS", server.address)
    yield server
    server.stop()


@pytest.fixture
def slow_speechd(tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    """A private speech-dispatcher whose voice takes 30 s over each message (until cut off)."""
    server = PrivateSpeechDispatcher(tmp_path / "slow-speechd").start()
    monkeypatch.setenv("SPEECHD_ADDRESS", server.address)
    yield server
    server.stop()


def orca_lookout(orca: Callable[[], bool] = orca_runs) -> Lookout:
    """Linux, where Orca counts as running when its process or its service is there (no process named
    orca runs in the tests, so the service on the private bus is what is found)."""
    return Lookout(platform="linux", orca=orca, a11y=lambda: False)


@pytest.fixture
def speaker_on() -> Iterator[Callable[..., Speaker]]:
    made: list[Speaker] = []

    def make(own: OwnVoice, lookout: Lookout | None = None, speak_with: str = "screen-reader") -> Speaker:
        lookout = lookout or orca_lookout()
        speaker = Speaker(lambda: ScreenReaderBackend(lambda: own, speak_with, lookout))
        made.append(speaker)
        assert speaker.wait_ready(DEADLINE)
        return speaker

    yield make
    for speaker in made:
        assert speaker.close(timeout=DEADLINE)


SENTENCES = ("A cat sits on a red sofa.", "It is asleep.", "The window behind it is open.")


# ---------------------------------------------------------------------------------------------- braille and speech


@needs_speechd
def test_each_sentence_is_spoken_once_and_flashed_once_in_braille(start_orca, speechd, speaker_on) -> None:
    orca = start_orca("orca1", "51.0")
    own = OwnVoice()
    speaker = speaker_on(own)
    assert speaker.screen_reader == (
        f"Orca 51.0 through speech-dispatcher ({speechd.address}), "
        "and its braille display through its D-Bus service (org.gnome.Orca1.Service)"
    )
    for sentence in SENTENCES:
        speaker.say(sentence)
    assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == len(SENTENCES), "every sentence reaching speech-dispatcher")
    assert speechd.said() == list(SENTENCES)
    # Braille only: a flash that is not persistent, one a sentence, in order; Orca never asked to speak.
    assert orca.calls("DisplayMessage") == [["DisplayMessage", [s, False]] for s in SENTENCES]
    assert orca.calls("PresentMessage", "SpeakMessage") == []
    assert own.said == []


@needs_speechd
def test_braille_follows_speech_and_stop_ends_both(start_orca, slow_speechd, speaker_on) -> None:
    orca = start_orca("orca1", "51.0")
    speaker = speaker_on(OwnVoice())
    for sentence in SENTENCES:
        speaker.say(sentence)
    wait_for(lambda: slow_speechd.speaking(), "speech-dispatcher's voice speaking")
    wait_for(lambda: orca.flashed() == [SENTENCES[0]], "the first sentence on the braille display")
    speaker.stop()
    wait_for(lambda: not slow_speechd.speaking(), "the voice cut off by Stop")
    assert speaker.wait_idle(DEADLINE)
    # The sentences dropped by Stop were neither spoken nor shown: braille never runs ahead of speech.
    assert slow_speechd.said() == [SENTENCES[0]]
    assert orca.flashed() == [SENTENCES[0]]
    assert orca.calls("PresentMessage", "SpeakMessage") == []


@needs_speechd
def test_an_orca_that_cannot_show_braille_alone_is_not_asked_to_speak_twice(
    start_orca, speechd, speaker_on, caplog
) -> None:
    orca = start_orca("orca49", "49.2")
    own = OwnVoice()
    with caplog.at_level(logging.INFO, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own)
        for sentence in SENTENCES:
            speaker.say(sentence)
        assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == len(SENTENCES), "every sentence reaching speech-dispatcher")
    assert speechd.said() == list(SENTENCES)
    assert orca.calls("PresentMessage") == [] and own.said == []
    assert speaker.screen_reader == (
        f"Orca 49.2 through speech-dispatcher ({speechd.address}); no braille, as this Orca's D-Bus "
        "service cannot show a message in braille without speaking it"
    )
    why = [r.getMessage() for r in caplog.records if "No braille" in r.getMessage()]
    assert len(why) == 1 and "has no DisplayMessage" in why[0], why


@needs_speechd
def test_no_orca_service_leaves_speech_with_one_line_in_the_log(
    session_bus, speechd, speaker_on, caplog
) -> None:
    # Orca runs (an Orca 43, say, with no D-Bus service): speech as before, no braille, said once.
    own = OwnVoice()
    with caplog.at_level(logging.INFO, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own, orca_lookout(orca=lambda: True))
        for sentence in SENTENCES:
            speaker.say(sentence)
        assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == len(SENTENCES), "every sentence reaching speech-dispatcher")
    assert own.said == []
    why = [r.getMessage() for r in caplog.records if "No braille" in r.getMessage()]
    assert len(why) == 1 and "is not on the session bus" in why[0], why
    assert speaker.screen_reader is not None and "no braille" in speaker.screen_reader


@needs_speechd
def test_a_service_that_goes_away_leaves_speech_going_with_one_line_in_the_log(
    start_orca, speechd, speaker_on, caplog
) -> None:
    orca = start_orca("orca1", "51.0")
    own = OwnVoice()
    with caplog.at_level(logging.INFO, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own)
        speaker.say(SENTENCES[0])
        assert speaker.wait_idle(DEADLINE)
        wait_for(lambda: orca.flashed() == [SENTENCES[0]], "the first sentence on the braille display")
        orca.kill()
        for sentence in SENTENCES[1:]:
            speaker.say(sentence)
        assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == len(SENTENCES), "every sentence reaching speech-dispatcher")
    assert speechd.said() == list(SENTENCES) and own.said == []
    lost = [r for r in caplog.records if "stopped answering" in r.getMessage()]
    assert len(lost) == 1 and lost[0].levelno == logging.WARNING
    assert "without braille" in lost[0].getMessage()
    assert speaker.screen_reader is not None and "no braille, as Orca's D-Bus service stopped answering" in (
        speaker.screen_reader
    )


@needs_speechd
def test_a_service_that_does_not_answer_costs_speech_nothing_and_is_said_once(
    start_orca, speechd, speaker_on, caplog, monkeypatch
) -> None:
    # An Orca that is there but stuck is not asked again, not even when a gone one would be looked for.
    monkeypatch.setattr("assistant.speech.screen_reader.RECHECK_EVERY", 0.0)
    orca = start_orca("orca1", "51.0", "DisplayMessage")  # takes the call, never answers
    own = OwnVoice()
    with caplog.at_level(logging.WARNING, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own)
        for sentence in SENTENCES:
            speaker.say(sentence)
        assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == len(SENTENCES), "every sentence reaching speech-dispatcher")
    assert speechd.said() == list(SENTENCES) and own.said == []
    assert orca.flashed() == [SENTENCES[0]]  # given up after the first, not asked again
    lost = [r.getMessage() for r in caplog.records if "stopped answering" in r.getMessage()]
    assert len(lost) == 1 and "got no answer" in lost[0], lost


@needs_speechd
def test_a_service_that_comes_later_or_comes_back_is_used_for_braille(
    start_orca, speechd, speaker_on, monkeypatch, caplog
) -> None:
    # Orca may register its service after the app has started, or restart: it is looked for again
    # before a later sentence (here at once; every few seconds in the app), silently until found.
    monkeypatch.setattr("assistant.speech.screen_reader.RECHECK_EVERY", 0.0)
    with caplog.at_level(logging.INFO, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(OwnVoice(), orca_lookout(orca=lambda: True))
        speaker.say(SENTENCES[0])
        assert speaker.wait_idle(DEADLINE)
        orca = start_orca("orca1", "51.0")
        speaker.say(SENTENCES[1])
        assert speaker.wait_idle(DEADLINE)
        assert orca.flashed() == [SENTENCES[1]]
        orca.kill()
        speaker.say(SENTENCES[2])
        assert speaker.wait_idle(DEADLINE)
        again = start_orca("orca1", "51.0")
        speaker.say(SENTENCES[0])
        assert speaker.wait_idle(DEADLINE)
    assert again.flashed() == [SENTENCES[0]]
    wait_for(lambda: len(speechd.said()) == 4, "every sentence reaching speech-dispatcher")
    assert speechd.said() == [*SENTENCES, SENTENCES[0]]
    messages = [r.getMessage() for r in caplog.records if "raille" in r.getMessage()]
    assert [m.split(":")[0].split(" (")[0] for m in messages] == [
        "No braille flash messages through Orca for now",
        "Speaking through Orca through speech-dispatcher",
        "Braille flash messages go through Orca 51.0's D-Bus service",
        "Orca's D-Bus service stopped answering",
        "Braille flash messages go through Orca 51.0's D-Bus service",
    ], messages


# ---------------------------------------------------------------------------------------------- the service alone


@pytest.mark.parametrize(
    ("generation", "interrupt"),
    [("orca1", ["InterruptSpeech", [False]]), ("orca49", ["ExecuteCommand", ["InterruptSpeech", False]])],
)
def test_without_speech_dispatcher_orca_speaks_and_shows_each_sentence_and_stop_interrupts_it(
    start_orca, speaker_on, tmp_path, monkeypatch, generation, interrupt
) -> None:
    monkeypatch.setenv("SPEECHD_ADDRESS", f"unix_socket:{tmp_path / 'no-speechd.sock'}")
    orca = start_orca(generation, "50.1")
    own = OwnVoice()
    speaker = speaker_on(own)
    assert speaker.screen_reader is not None and speaker.screen_reader.startswith(
        "Orca 50.1 through its D-Bus service"
    )
    speaker.say(SENTENCES[0])
    assert speaker.wait_idle(DEADLINE)
    assert orca.calls("PresentMessage") == [["PresentMessage", [SENTENCES[0]]]]
    speaker.stop()
    wait_for(lambda: orca.calls("InterruptSpeech", "ExecuteCommand") == [interrupt], "Orca told to stop")
    assert own.said == []


def test_a_service_that_goes_away_hands_the_sentence_to_the_own_voice(
    start_orca, speaker_on, tmp_path, monkeypatch, caplog
) -> None:
    monkeypatch.setenv("SPEECHD_ADDRESS", f"unix_socket:{tmp_path / 'no-speechd.sock'}")
    orca = start_orca("orca1", "51.0")
    own = OwnVoice()
    with caplog.at_level(logging.WARNING, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own)
        speaker.say(SENTENCES[0])
        assert speaker.wait_idle(DEADLINE)
        orca.kill()
        speaker.say(SENTENCES[1])
        assert speaker.wait_idle(DEADLINE)
    assert orca.calls("PresentMessage") == [["PresentMessage", [SENTENCES[0]]]]
    assert own.said == [SENTENCES[1]]
    assert len([r for r in caplog.records if "stopped answering" in r.getMessage()]) == 1


# ---------------------------------------------------------------------------------------------- finding it


def test_the_newest_service_is_found_with_its_version_and_what_it_offers(start_orca) -> None:
    assert not orca_service_on_bus()
    with pytest.raises(OrcaServiceError, match="not on the session bus"):
        OrcaService.find()
    start_orca("orca49", "49.2 (rev abc123)")
    assert orca_service_on_bus()
    older = OrcaService.find()
    try:
        assert (older.dialect, older.name, older.braille_only) == (ORCA, "Orca 49.2", False)
        assert older.speech_path == "/org/gnome/Orca/Service/SpeechAndVerbosityManager"
    finally:
        older.close()
    start_orca("orca1", "51.0")
    newer = OrcaService.find()
    try:
        assert (newer.dialect, newer.name, newer.braille_only) == (ORCA1, "Orca 51.0", True)
        assert newer.speech_path == "/org/gnome/Orca1/Service/SpeechManager"
    finally:
        newer.close()


def test_no_session_bus_means_no_orca_service(monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert not orca_service_on_bus()
    with pytest.raises(OrcaServiceError, match="session bus did not answer"):
        OrcaService.find()


def test_a_display_message_of_another_shape_is_not_used() -> None:
    xml = (
        '<node><interface name="org.gnome.Orca1.Service">'
        '<method name="PresentMessage"><arg type="s" direction="in"/><arg type="b" direction="out"/></method>'
        '<method name="DisplayMessage"><arg type="s" direction="in"/><arg type="b" direction="out"/></method>'
        "</interface></node>"
    )
    methods = methods_of(xml, "org.gnome.Orca1.Service")
    assert methods == {"PresentMessage": "s", "DisplayMessage": "s"}
    service = OrcaService.__new__(OrcaService)
    service.methods = methods
    assert not service.braille_only  # DisplayMessage(s, b) is what the app knows how to call
    assert methods_of("not xml", "org.gnome.Orca1.Service") == {}


@needs_speechd
def test_the_doctor_names_orca_its_version_and_the_braille_route(start_orca, speechd) -> None:
    start_orca("orca1", "51.0")
    assert describe_screen_reader(orca_lookout()) == [
        f"Screen reader: Orca 51.0 through speech-dispatcher ({speechd.address}), "
        "and its braille display through its D-Bus service (org.gnome.Orca1.Service)."
    ]
