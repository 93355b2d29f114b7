"""Speaking through the screen reader: which way is taken, the fallback to the app's own voice, and a
real speech-dispatcher (a private one per test, whose voice writes each message to a file)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from speech_fakes import DEADLINE, OwnVoice, needs_speechd, private_speechd, speakers, wait_for

from assistant.bench.screen_reader import PrivateSpeechDispatcher
from assistant.speech.backend import SpeechBackend, SpeechUnavailable
from assistant.speech.screen_reader import (
    JAWS,
    NVDA,
    ORCA_SERVICE,
    SPEECH_DISPATCHER,
    VOICEOVER,
    Lookout,
    ScreenReaderBackend,
    ScreenReaderLost,
    SpeechDispatcherRoute,
    a11y_says_screen_reader_runs,
    choose_routes,
    describe_screen_reader,
    orca_running,
    speaks_through,
    speechd_address,
)
from assistant.speech.speaker import Speaker

# speech-dispatcher's client ends its reader thread with sys.exit() when the connection closes.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception in thread SSIP client communication thread:pytest.PytestUnhandledThreadExceptionWarning"
)


class FakeRoute:
    """A screen reader that takes messages until told to fail."""

    def __init__(self, name: str = SPEECH_DISPATCHER) -> None:
        self.name = name
        self.said: list[str] = []
        self.fail_with: str | None = None
        self.stuck = False  # fails as a screen reader that takes the call and never answers
        self.silenced = 0
        self.closed = False

    @property
    def description(self) -> str:
        return f"the screen reader through {self.name}"

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None], wait: bool) -> bool:
        if self.fail_with:
            raise ScreenReaderLost(self.fail_with, stuck=self.stuck)
        self.said.append(text)
        on_start()
        return True

    def silence(self) -> None:
        self.silenced += 1

    def close(self) -> None:
        self.closed = True


def lookout_with(route: FakeRoute | None, platform: str = "linux", running: bool = True) -> Lookout:
    def connect(name: str, reader: str) -> FakeRoute:
        if route is None:
            raise ScreenReaderLost(f"{name} is not there")
        return route

    return Lookout(
        platform=platform,
        orca=lambda: running,
        a11y=lambda: False,
        connect=connect,
        orca_service=lambda: False,
    )


def speak(backend: SpeechBackend, text: str) -> bool:
    return backend.speak(text, threading.Event(), lambda: None)


# ---------------------------------------------------------------------------------------------- which way


def test_the_routes_tried_on_each_system() -> None:
    # Orca's D-Bus service first: only it reaches the braille display, with the voice the user gave Orca.
    assert choose_routes("linux", orca_running=True, a11y_says_running=False) == [
        ORCA_SERVICE,
        SPEECH_DISPATCHER,
    ]
    assert choose_routes("linux", orca_running=False, a11y_says_running=True) == [SPEECH_DISPATCHER]
    assert choose_routes("linux", orca_running=False, a11y_says_running=False) == []
    assert choose_routes("win32", orca_running=False, a11y_says_running=False) == [NVDA, JAWS]
    assert choose_routes("darwin", orca_running=False, a11y_says_running=False) == [VOICEOVER]


def test_speak_with_decides_who_speaks() -> None:
    assert speaks_through("screen-reader", reader_reached=True) == (True, False)
    assert speaks_through("screen-reader", reader_reached=False) == (False, True)
    assert speaks_through("own-voice", reader_reached=True) == (False, True)
    assert speaks_through("both", reader_reached=True) == (True, True)
    assert speaks_through("both", reader_reached=False) == (False, True)


@pytest.mark.parametrize(
    ("platform", "orca", "a11y", "answering", "expected_tries", "reached"),
    [
        ("linux", True, False, {SPEECH_DISPATCHER, ORCA_SERVICE}, [ORCA_SERVICE], ORCA_SERVICE),
        ("linux", True, False, {SPEECH_DISPATCHER}, [ORCA_SERVICE, SPEECH_DISPATCHER], SPEECH_DISPATCHER),
        ("linux", False, True, {SPEECH_DISPATCHER}, [SPEECH_DISPATCHER], SPEECH_DISPATCHER),
        ("linux", False, False, {SPEECH_DISPATCHER}, [], None),
        ("win32", False, False, {JAWS}, [NVDA, JAWS], JAWS),
        ("win32", False, False, set(), [NVDA, JAWS], None),
        ("darwin", False, False, {VOICEOVER}, [VOICEOVER], VOICEOVER),
    ],
)
def test_the_first_screen_reader_that_answers_is_used(
    platform, orca, a11y, answering, expected_tries, reached
):
    tried: list[str] = []

    def connect(name: str, reader: str) -> FakeRoute:
        tried.append(name)
        if name not in answering:
            raise ScreenReaderLost(f"{name} is not there")
        return FakeRoute(name)

    route, problems = Lookout(platform, lambda: orca, lambda: a11y, connect).find()
    assert tried == expected_tries
    assert (route.name if route else None) == reached
    assert len(problems) == len(tried) - (1 if reached else 0)


def test_orca_counts_as_running_by_its_process_name(tmp_path: Path) -> None:
    (tmp_path / "12" / "comm").parent.mkdir()
    (tmp_path / "12" / "comm").write_text("bash\n")
    (tmp_path / "self").mkdir()
    assert not orca_running(tmp_path)
    (tmp_path / "345").mkdir()
    (tmp_path / "345" / "comm").write_text("orca\n")
    assert orca_running(tmp_path)


def test_speech_dispatcher_is_reached_where_its_own_clients_reach_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SPEECHD_ADDRESS", "unix_socket:/somewhere/speechd.sock")
    assert speechd_address() == "unix_socket:/somewhere/speechd.sock"
    monkeypatch.delenv("SPEECHD_ADDRESS")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert speechd_address() == f"unix_socket:{tmp_path / 'speech-dispatcher' / 'speechd.sock'}"


def test_the_doctor_names_the_screen_reader_and_the_way_to_it() -> None:
    assert describe_screen_reader(lookout_with(FakeRoute())) == [
        "Screen reader: the screen reader through speech-dispatcher."
    ]
    lines = describe_screen_reader(lookout_with(None))
    assert lines[0] == "Screen reader: none found running; the app speaks with its own voice."
    assert lines[1:] == [
        f"Not reached: {ORCA_SERVICE} is not there.",
        f"Not reached: {SPEECH_DISPATCHER} is not there.",
    ]


# ---------------------------------------------------------------------------------------------- the backend


def test_with_a_screen_reader_only_the_screen_reader_speaks() -> None:
    route, own = FakeRoute(), OwnVoice()
    backend = ScreenReaderBackend(lambda: own, "screen-reader", lookout_with(route))
    assert speak(backend, "A cat on a sofa.")
    assert route.said == ["A cat on a sofa."] and own.said == []
    assert backend.reader == "the screen reader through speech-dispatcher"


def test_without_a_screen_reader_the_own_voice_speaks() -> None:
    own = OwnVoice()
    backend = ScreenReaderBackend(lambda: own, "screen-reader", lookout_with(FakeRoute(), running=False))
    assert speak(backend, "A cat.")
    assert own.said == ["A cat."] and backend.reader is None


def test_own_voice_and_both_as_chosen() -> None:
    route, own = FakeRoute(), OwnVoice()
    backend = ScreenReaderBackend(lambda: own, "own-voice", lookout_with(route))
    speak(backend, "One.")
    assert route.said == [] and own.said == ["One."]
    backend.set_speak_with("both")
    speak(backend, "Two.")
    assert route.said == ["Two."] and own.said == ["One.", "Two."]
    backend.set_speak_with("screen-reader")
    speak(backend, "Three.")
    assert route.said == ["Two.", "Three."] and own.said == ["One.", "Two."]


def test_a_lost_screen_reader_hands_the_same_utterance_to_the_own_voice_and_says_why_once(caplog) -> None:
    route, own = FakeRoute(), OwnVoice()
    backend = ScreenReaderBackend(lambda: own, "screen-reader", lookout_with(route))
    speak(backend, "First.")
    route.fail_with = "speech-dispatcher went away while speaking"
    with caplog.at_level(logging.WARNING, logger="assistant.speech.screen_reader"):
        assert speak(backend, "Second.")
        assert speak(backend, "Third.")
    assert route.said == ["First."] and own.said == ["Second.", "Third."]
    assert route.closed and backend.reader is None
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == [
        "The screen reader stopped answering (speech-dispatcher went away while speaking); "
        "the app's own voice speaks instead."
    ]


def test_the_screen_reader_works_even_when_the_own_voice_cannot(caplog) -> None:
    route = FakeRoute()

    def broken() -> SpeechBackend:
        raise SpeechUnavailable("no sound device could be opened", "check the sound device")

    backend = ScreenReaderBackend(broken, "screen-reader", lookout_with(route))
    assert speak(backend, "Hello.")
    assert route.said == ["Hello."]
    route.fail_with = "gone"
    with pytest.raises(SpeechUnavailable, match="no sound device could be opened"):
        speak(backend, "Lost.")


class TwoWaysToOrca:
    """Orca reached through its D-Bus service or through speech-dispatcher, each a FakeRoute; whether
    the service is on the bus is `service_there`."""

    def __init__(self) -> None:
        self.service_there = False
        self.made: list[FakeRoute] = []

    def connect(self, name: str, reader: str) -> FakeRoute:
        if name == ORCA_SERVICE and not self.service_there:
            raise ScreenReaderLost("Orca's D-Bus service is not on the session bus")
        self.made.append(FakeRoute(name))
        return self.made[-1]

    def lookout(self) -> Lookout:
        return Lookout(
            platform="linux",
            orca=lambda: True,
            a11y=lambda: False,
            connect=self.connect,
            orca_service=lambda: self.service_there,
        )


def test_orcas_service_that_comes_after_the_app_takes_over_from_speech_dispatcher(
    monkeypatch, caplog
) -> None:
    # Orca registers its service after it starts, so the app may find speech-dispatcher first.
    monkeypatch.setattr("assistant.speech.screen_reader.RECHECK_EVERY", 0.0)
    orca, own = TwoWaysToOrca(), OwnVoice()
    backend = ScreenReaderBackend(lambda: own, "screen-reader", orca.lookout())
    assert speak(backend, "One.")
    orca.service_there = True
    with caplog.at_level(logging.INFO, logger="assistant.speech.screen_reader"):
        assert speak(backend, "Two.")
        assert speak(backend, "Three.")
    first, second = orca.made
    assert (first.name, first.said, first.closed) == (SPEECH_DISPATCHER, ["One."], True)
    assert (second.name, second.said) == (ORCA_SERVICE, ["Two.", "Three."])
    assert own.said == []
    switched = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Speaking through")]
    assert switched == [f"Speaking through the screen reader through {ORCA_SERVICE}."]


class MovedClock:
    """The time module as screen_reader.py sees it, whose monotonic clock the test moves on instead of
    waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)


def test_a_stuck_screen_reader_is_left_alone_for_a_while(monkeypatch) -> None:
    # An Orca that takes PresentMessage and never answers held the sentence back for the call's whole
    # wait: the sentence goes to the own voice, the next ones to speech-dispatcher, and the service is
    # not asked again until STUCK_PAUSE has passed.
    monkeypatch.setattr("assistant.speech.screen_reader.RECHECK_EVERY", 0.0)
    monkeypatch.setattr("assistant.speech.screen_reader.STUCK_PAUSE", 1.0)
    clock = MovedClock()
    monkeypatch.setattr("assistant.speech.screen_reader.time", clock)
    orca, own = TwoWaysToOrca(), OwnVoice()
    orca.service_there = True
    backend = ScreenReaderBackend(lambda: own, "screen-reader", orca.lookout())
    assert speak(backend, "One.")
    stuck = orca.made[0]
    stuck.fail_with, stuck.stuck = "PresentMessage got no answer within 0.5 s", True
    assert speak(backend, "Two.")
    assert speak(backend, "Three.")
    assert speak(backend, "Four.")
    assert [route.name for route in orca.made] == [ORCA_SERVICE, SPEECH_DISPATCHER]
    assert stuck.said == ["One."] and own.said == ["Two."] and orca.made[1].said == ["Three.", "Four."]
    clock.advance(1.0)  # the pause passes
    assert speak(backend, "Five.")
    assert [route.name for route in orca.made] == [ORCA_SERVICE, SPEECH_DISPATCHER, ORCA_SERVICE]
    assert orca.made[2].said == ["Five."] and orca.made[1].closed


def test_stop_silences_what_the_screen_reader_still_has(tmp_path) -> None:
    # NVDA, JAWS, VoiceOver and Orca's service take a message and return at once: Stop must reach them.
    route, own = FakeRoute(NVDA), OwnVoice()
    speaker = Speaker(lambda: ScreenReaderBackend(lambda: own, "screen-reader", lookout_with(route, "win32")))
    try:
        assert speaker.wait_ready(DEADLINE)
        speaker.say("A long description.")
        assert speaker.wait_idle(DEADLINE)
        speaker.stop()
        wait_for(lambda: route.silenced >= 1, "the screen reader told to stop")
        silenced = route.silenced
        speaker.say("Another.", interrupt=True)
        wait_for(lambda: route.silenced > silenced, "the screen reader told to stop by a new request")
        assert speaker.wait_idle(DEADLINE)
        assert route.said == ["A long description.", "Another."]
    finally:
        assert speaker.close()


# ---------------------------------------------------------------------------------------------- the accessibility bus


needs_a11y_bus = pytest.mark.skipif(
    not (
        shutil.which("dbus-daemon")
        and Path("/usr/libexec/at-spi-bus-launcher").exists()
        and shutil.which("gdbus")
    ),
    reason="needs dbus-daemon, at-spi2-core and gdbus",
)


@needs_a11y_bus
def test_the_accessibility_bus_says_when_a_screen_reader_runs(session_bus, tmp_path, monkeypatch) -> None:
    launcher = None
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        launcher = subprocess.Popen(["/usr/libexec/at-spi-bus-launcher"], env=dict(os.environ))
        status = ["gdbus", "call", "--session", "--dest", "org.a11y.Bus", "--object-path", "/org/a11y/bus",
                  "--method", "org.freedesktop.DBus.Properties.Set", "org.a11y.Status", "ScreenReaderEnabled"]  # fmt: skip
        wait_for(
            lambda: subprocess.run([*status, "<false>"], capture_output=True).returncode == 0, "the a11y bus"
        )
        assert not a11y_says_screen_reader_runs()
        subprocess.run([*status, "<true>"], check=True, capture_output=True)
        assert a11y_says_screen_reader_runs()
    finally:
        if launcher is not None:
            launcher.terminate()
            launcher.wait(5)


def test_no_session_bus_means_no_screen_reader(monkeypatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert not a11y_says_screen_reader_runs()


# ---------------------------------------------------------------------------------------------- a real speech-dispatcher


@pytest.fixture
def speechd(tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    with private_speechd(tmp_path / "speechd", monkeypatch) as server:
        yield server


def speechd_lookout() -> Lookout:
    """The accessibility bus says a screen reader runs; speech-dispatcher is the way to it."""
    return Lookout(platform="linux", orca=lambda: False, a11y=lambda: True)


@pytest.fixture
def speaker_on() -> Iterator[Callable[..., Speaker]]:
    with speakers(speechd_lookout) as make:
        yield make


@needs_speechd
def test_sentences_reach_speech_dispatcher_in_order(speechd, speaker_on) -> None:
    own = OwnVoice()
    speaker = speaker_on(own)
    assert speaker.screen_reader == f"the screen reader through speech-dispatcher ({speechd.address})"
    speaker.say("A cat sits on a sofa.")
    speaker.say("It is asleep.")
    wait_for(
        lambda: speechd.said() == ["A cat sits on a sofa."], "the first sentence reaching speech-dispatcher"
    )
    assert own.said == []


@needs_speechd
def test_stop_cancels_speech_dispatcher_at_once(speechd, speaker_on) -> None:
    own = OwnVoice()
    speaker = speaker_on(own)
    for sentence in ("First of three.", "Second of three.", "Third of three."):
        speaker.say(sentence)
    wait_for(lambda: speechd.speaking(), "speech-dispatcher's voice speaking")
    speaker.stop()
    wait_for(lambda: not speechd.speaking(), "the voice cut off")
    assert speaker.wait_idle(DEADLINE)
    # Nothing queued was spoken after the stop.
    assert speechd.said() == ["First of three."] and own.said == []


@needs_speechd
def test_a_killed_speech_dispatcher_loses_nothing(speechd, speaker_on, caplog) -> None:
    own = OwnVoice()
    speaker = speaker_on(own)
    with caplog.at_level(logging.WARNING, logger="assistant.speech.screen_reader"):
        speaker.say("Said by the screen reader.")
        speaker.say("Said by the own voice.")
        wait_for(lambda: speechd.speaking(), "speech-dispatcher's voice speaking")
        speechd.kill()
        assert speaker.wait_idle(DEADLINE)
    # The utterance cut off by the crash is said again, whole, by the app's own voice, and the rest too.
    assert own.said == ["Said by the screen reader.", "Said by the own voice."]
    assert len([r for r in caplog.records if "stopped answering" in r.getMessage()]) == 1
    assert speaker.screen_reader is None


@needs_speechd
def test_both_speaks_through_speech_dispatcher_and_the_own_voice(speechd, speaker_on) -> None:
    own = OwnVoice()
    speaker = speaker_on(own, speak_with="both")
    speaker.say("Twice, as asked.")
    assert speaker.wait_idle(DEADLINE)
    wait_for(lambda: speechd.said() == ["Twice, as asked."], "the sentence reaching speech-dispatcher")
    assert own.said == ["Twice, as asked."]


@needs_speechd
def test_an_end_that_comes_before_the_client_has_registered_is_not_lost(tmp_path, monkeypatch) -> None:
    """python3-speechd registers a message's callback only once SPEAK is answered, and drops what came
    before: a voice quicker than the client's thread (on a busy core) left speaking waiting out its
    deadline, and the screen reader was taken for lost. Here the client is slow to register, always."""
    from assistant.speech.screen_reader_speechd import SpeechDispatcherRoute, import_speechd

    handler = import_speechd().client._CallbackHandler
    register = handler.add_callback

    def register_late(self, *args):
        time.sleep(1.0)  # the message is spoken and ended meanwhile: its voice takes no time here
        return register(self, *args)

    monkeypatch.setattr(handler, "add_callback", register_late)
    with private_speechd(tmp_path / "speechd", monkeypatch, seconds=0) as server:
        route = SpeechDispatcherRoute()
        started = threading.Event()
        try:
            # Before, no END came, and the route gave up at its deadline: the screen reader "lost".
            assert route.speak("Two words.", threading.Event(), started.set, wait=True)
        finally:
            route.close()
        assert started.is_set() and server.said() == ["Two words."]


@needs_speechd
def test_no_speech_dispatcher_is_explained(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SPEECHD_ADDRESS", f"unix_socket:{tmp_path / 'nothing.sock'}")
    with pytest.raises(ScreenReaderLost, match="did not answer"):
        SpeechDispatcherRoute()


def test_speak_with_changed_in_settings_applies_from_the_next_utterance() -> None:
    route, own = FakeRoute(), OwnVoice()
    speaker = Speaker(lambda: ScreenReaderBackend(lambda: own, "screen-reader", lookout_with(route)))
    try:
        assert speaker.wait_ready(DEADLINE)
        speaker.say("To the screen reader.")
        assert speaker.wait_idle(DEADLINE)
        speaker.set_speak_with("own-voice")
        speaker.say("In the app's own voice.")
        assert speaker.wait_idle(DEADLINE)
        assert route.said == ["To the screen reader."] and own.said == ["In the app's own voice."]
        assert speaker.screen_reader is None
    finally:
        assert speaker.close()


def test_an_absent_orca_service_is_explained(monkeypatch) -> None:
    from assistant.speech.screen_reader import OrcaServiceRoute

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    with pytest.raises(ScreenReaderLost, match=r"^Orca is not reached through its D-Bus service: "):
        OrcaServiceRoute()


@needs_speechd
def test_the_benchmark_measures_both_figures() -> None:
    from assistant.bench.screen_reader import TARGETS, bench_screen_reader_summary

    summary = bench_screen_reader_summary(rounds=3)
    assert summary["rounds"] == 3
    for key, _limit, _meaning in TARGETS:
        assert 0 < summary[key] < DEADLINE
