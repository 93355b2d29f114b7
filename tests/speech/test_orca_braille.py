"""Orca's voice and braille display, through Orca's D-Bus service: a private session bus with a stand-in
for the service (orca_service.py, recording each call and speaking through speech-dispatcher as Orca
does) beside a private speech-dispatcher recording speech.

Each sentence must reach Orca once (PresentMessage: its voice and a braille flash) and be spoken once, in
order, none cutting off the one before; Stop must drop all of them; an Orca without the service is spoken
to through speech-dispatcher; a service that comes later takes over, and one that goes away or stops
answering costs no sentence.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator

import pytest
from fixtures.desktops import FakeOrca
from speech_fakes import DEADLINE, OwnVoice, needs_speechd, private_speechd, speakers, wait_for

from assistant.bench.screen_reader import PrivateSpeechDispatcher
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
    describe_screen_reader,
    orca_runs,
)
from assistant.speech.speaker import Speaker

pytestmark = [
    pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="needs dbus-daemon"),
    # speech-dispatcher's client ends its reader thread with sys.exit() when the connection closes.
    pytest.mark.filterwarnings(
        "ignore:Exception in thread SSIP client communication thread:pytest.PytestUnhandledThreadExceptionWarning"
    ),
]


@pytest.fixture
def session_bus(session_bus, monkeypatch, tmp_path) -> str:
    """The shared private session bus (tests/fixtures/desktops.py), with a runtime folder of the test's own."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return session_bus


@pytest.fixture
def start_orca(session_bus, start_orca) -> Callable[..., FakeOrca]:
    """The shared Orca stand-in (tests/fixtures/desktops.py), on this test's private session bus."""
    return start_orca


@pytest.fixture
def speechd(tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    """A private speech-dispatcher whose voice takes 0.3 s over each message."""
    with private_speechd(tmp_path / "speechd", monkeypatch, seconds=0.3) as server:
        yield server


@pytest.fixture
def slow_speechd(tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    """A private speech-dispatcher whose voice takes 30 s over each message (until cut off)."""
    with private_speechd(tmp_path / "slow-speechd", monkeypatch) as server:
        yield server


def orca_lookout(orca: Callable[[], bool] = orca_runs) -> Lookout:
    """Linux, where Orca counts as running when its process or its service is there (no process named
    orca runs in the tests, so the service on the private bus is what is found)."""
    return Lookout(platform="linux", orca=orca, a11y=lambda: False)


@pytest.fixture
def speaker_on() -> Iterator[Callable[..., Speaker]]:
    with speakers(orca_lookout) as make:
        yield make


SENTENCES = ("A cat sits on a red sofa.", "It is asleep.", "The window behind it is open.")
INTERRUPT = {"orca1": ["InterruptSpeech", [False]], "orca49": ["ExecuteCommand", ["InterruptSpeech", False]]}
SERVICE = {"orca1": "org.gnome.Orca1.Service", "orca49": "org.gnome.Orca.Service"}


# ---------------------------------------------------------------------------------------------- through the service


@needs_speechd
@pytest.mark.parametrize("generation", ["orca49", "orca1"])
def test_each_sentence_goes_to_orca_once_and_is_spoken_once_in_order(
    start_orca, speechd, speaker_on, generation
) -> None:
    orca = start_orca(generation, "50.1")
    own = OwnVoice()
    speaker = speaker_on(own)
    assert speaker.screen_reader == (
        f"Orca 50.1 through its D-Bus service ({SERVICE[generation]}): its voice and braille display"
    )
    for sentence in SENTENCES:
        speaker.say(sentence)
    assert speaker.wait_idle(DEADLINE)
    wait_for(
        lambda: speechd.spoken_to_the_end().count(True) == len(SENTENCES), "Orca speaking every sentence"
    )
    # Once each: through Orca (its voice, its braille flash), never also to speech-dispatcher directly;
    # and each to its end, though all were handed over at once.
    assert orca.presented() == list(SENTENCES)
    assert speechd.said() == list(SENTENCES)
    assert speechd.spoken_to_the_end() == [True] * len(SENTENCES)
    assert orca.calls("DisplayMessage", "SpeakMessage") == [] and own.said == []


@needs_speechd
@pytest.mark.parametrize("generation", ["orca49", "orca1"])
def test_sentences_wait_behind_each_other_and_stop_drops_them_all(
    start_orca, slow_speechd, speaker_on, generation
) -> None:
    # Handed over as they are generated, none cuts off the one being spoken (Orca speaks at
    # speech-dispatcher's MESSAGE priority, which queues); Stop drops the one speaking and the rest.
    orca = start_orca(generation, "50.1")
    speaker = speaker_on(OwnVoice())
    for sentence in SENTENCES:
        speaker.say(sentence)
    wait_for(lambda: orca.presented() == list(SENTENCES), "every sentence handed to Orca")
    wait_for(lambda: slow_speechd.speaking(), "Orca's voice speaking")
    speaking = slow_speechd.speaking()
    time.sleep(0.5)
    assert slow_speechd.said() == [SENTENCES[0]] and slow_speechd.speaking() == speaking
    speaker.stop()
    wait_for(lambda: INTERRUPT[generation] in orca.calls(), "Orca told to stop")
    wait_for(lambda: not slow_speechd.speaking(), "Orca's voice cut off by Stop")
    time.sleep(0.5)
    assert slow_speechd.said() == [SENTENCES[0]]  # the queued ones were dropped, not spoken
    assert speaker.wait_idle(DEADLINE)


@needs_speechd
def test_an_orca_without_the_service_is_spoken_to_through_speech_dispatcher(
    session_bus, speechd, speaker_on
) -> None:
    # An Orca before 49 (Debian 12 has 43) has no D-Bus service: speech as its voice, no braille.
    own = OwnVoice()
    speaker = speaker_on(own, orca_lookout(orca=lambda: True))
    for sentence in SENTENCES:
        speaker.say(sentence)
    assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == len(SENTENCES), "every sentence reaching speech-dispatcher")
    assert speechd.said() == list(SENTENCES) and own.said == []
    assert speaker.screen_reader == (
        f"Orca through speech-dispatcher ({speechd.address}); no braille, as Orca's D-Bus service "
        "(Orca 49 and later) was not reached"
    )


@needs_speechd
def test_a_service_that_comes_later_takes_over_and_one_that_goes_costs_no_sentence(
    start_orca, speechd, speaker_on, monkeypatch, caplog
) -> None:
    # Orca registers its service after it has started, or restarts: it is looked for again before a
    # later sentence (here at once; every few seconds in the app).
    monkeypatch.setattr("assistant.speech.screen_reader.RECHECK_EVERY", 0.0)
    own = OwnVoice()
    with caplog.at_level(logging.INFO, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own, orca_lookout(orca=lambda: True))
        speaker.say(SENTENCES[0])
        assert speaker.wait_idle(DEADLINE)
        orca = start_orca("orca49", "49.2")
        speaker.say(SENTENCES[1])
        assert speaker.wait_idle(DEADLINE)
        wait_for(lambda: len(speechd.said()) == 2, "Orca speaking the second sentence")
        orca.kill()
        speaker.say(SENTENCES[2])  # Orca has gone: the own voice says it, whole
        assert speaker.wait_idle(DEADLINE)
        speaker.say(SENTENCES[0])  # and speech-dispatcher is found again for the next
        assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: len(speechd.said()) == 3, "the last sentence reaching speech-dispatcher")
    assert orca.presented() == [SENTENCES[1]]
    assert speechd.said() == [SENTENCES[0], SENTENCES[1], SENTENCES[0]]
    assert own.said == [SENTENCES[2]]
    messages = [r.getMessage() for r in caplog.records if r.name == "assistant.speech.screen_reader"]
    assert [m.split(" (")[0] for m in messages if not m.startswith("Screen reader not reached")] == [
        "Speaking through Orca through speech-dispatcher",
        "Speaking through Orca 49.2 through its D-Bus service",
        "The screen reader stopped answering",
        "Speaking through Orca through speech-dispatcher",
    ], messages


@needs_speechd
def test_a_busy_service_is_trusted_with_the_message_and_a_stuck_one_is_left_alone(
    start_orca, speechd, speaker_on, caplog, monkeypatch
) -> None:
    # Orca answers from its main loop: busy with other events, it answers late and presents the message
    # then, so a late answer is no loss. Only when nothing has been answered for a while does it count
    # as stuck: that sentence goes to the own voice, the next ones to speech-dispatcher.
    monkeypatch.setattr("assistant.speech.screen_reader.RECHECK_EVERY", 0.0)
    monkeypatch.setattr("assistant.speech.orca_service.STUCK_AFTER", 1.2)
    orca = start_orca("orca1", "51.0", "PresentMessage")  # takes the call, never answers
    own = OwnVoice()
    sentences = [f"Sentence number {number}." for number in range(6)]
    with caplog.at_level(logging.WARNING, logger="assistant.speech.screen_reader"):
        speaker = speaker_on(own)
        for sentence in sentences:
            speaker.say(sentence)
        assert speaker.wait_idle(DEADLINE)
    given = orca.presented()
    stuck = len(given) - 1
    assert stuck >= 2 and given == sentences[: stuck + 1]  # each waited CALL_TIMEOUT, then was trusted
    assert own.said == [sentences[stuck]]
    wait_for(lambda: len(speechd.said()) == len(sentences) - stuck - 1, "the rest reaching speech-dispatcher")
    assert speechd.said() == sentences[stuck + 1 :]
    lost = [r.getMessage() for r in caplog.records]
    assert len(lost) == 1 and "got no answer for" in lost[0], lost


# ---------------------------------------------------------------------------------------------- the service alone


@pytest.mark.parametrize("generation", ["orca1", "orca49"])
def test_without_speech_dispatcher_orca_is_still_given_each_sentence_and_stop_interrupts_it(
    start_orca, speaker_on, tmp_path, monkeypatch, generation
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
    wait_for(
        lambda: orca.calls("InterruptSpeech", "ExecuteCommand") == [INTERRUPT[generation]],
        "Orca told to stop",
    )
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


def test_the_newest_service_is_found_with_its_version(start_orca) -> None:
    assert not orca_service_on_bus()
    with pytest.raises(OrcaServiceError, match="not on the session bus"):
        OrcaService.find()
    start_orca("orca49", "49.2 (rev abc123)")
    assert orca_service_on_bus()
    older = OrcaService.find()
    try:
        assert (older.dialect, older.name) == (ORCA, "Orca 49.2")
        assert older.speech_path == "/org/gnome/Orca/Service/SpeechAndVerbosityManager"
    finally:
        older.close()
    start_orca("orca1", "51.0")
    newer = OrcaService.find()
    try:
        assert (newer.dialect, newer.name) == (ORCA1, "Orca 51.0")
        assert newer.speech_path == "/org/gnome/Orca1/Service/SpeechManager"
    finally:
        newer.close()


def test_no_session_bus_means_no_orca_service(monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert not orca_service_on_bus()
    with pytest.raises(OrcaServiceError, match="session bus did not answer"):
        OrcaService.find()


def test_what_a_service_offers_is_read_from_its_introspection() -> None:
    xml = (
        '<node><interface name="org.gnome.Orca1.Service">'
        '<method name="PresentMessage"><arg type="s" direction="in"/><arg type="b" direction="out"/></method>'
        '<method name="DisplayMessage"><arg type="s" direction="in"/><arg type="b" direction="in"/>'
        '<arg type="b" direction="out"/></method>'
        "</interface></node>"
    )
    assert methods_of(xml, "org.gnome.Orca1.Service") == {"PresentMessage": "s", "DisplayMessage": "sb"}
    assert methods_of(xml, "org.gnome.Orca.Service") == {}
    assert methods_of("not xml", "org.gnome.Orca1.Service") == {}


def test_the_doctor_names_orca_its_version_and_the_way_to_it(start_orca) -> None:
    start_orca("orca49", "49.2")
    assert describe_screen_reader(orca_lookout()) == [
        "Screen reader: Orca 49.2 through its D-Bus service (org.gnome.Orca.Service): its voice and braille display."
    ]
