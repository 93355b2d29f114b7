"""Text-to-speech: the speech thread, its queue, stop and interrupt, recording to files, failures."""

from __future__ import annotations

import shutil
import threading
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.cli.doctor import check_speech
from assistant.speech.backend import (
    DEFAULT_WPM,
    SilentBackend,
    SpeechBackend,
    SpeechUnavailable,
    clamp_rate,
    speaking_time_limit,
)
from assistant.speech.espeak import EspeakBackend, EspeakSynthesizer
from assistant.speech.pyttsx3_backend import Pyttsx3Backend
from assistant.speech.recording import RecordingBackend
from assistant.speech.speaker import Speaker, create_speaker
from assistant.speech.voices import Voice, parse_espeak_voices

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

DEADLINE = 20.0  # generous: only a hang should ever reach it
LONG_TEXT = (
    "This is a long description of the screen, read slowly so that there is time to cut it off. "
    "It goes on about windows, buttons, menus and icons for many seconds."
)


class Events:
    """Collects a speaker's events and lets a test wait for one."""

    def __init__(self) -> None:
        self.items: list[tuple[str, int, str]] = []
        self._changed = threading.Condition()

    def __call__(self, kind: str, number: int, text: str) -> None:
        with self._changed:
            self.items.append((kind, number, text))
            self._changed.notify_all()

    def wait_for(self, kind: str, number: int | None = None) -> tuple[str, int, str]:
        def found() -> tuple[str, int, str] | None:
            return next((e for e in self.items if e[0] == kind and number in (None, e[1])), None)

        with self._changed:
            assert self._changed.wait_for(found, DEADLINE), f"no {kind!r} event; got {self.items}"
            event = found()
            assert event is not None
            return event

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.items]


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def speakers() -> Iterator[list[Speaker]]:
    """Speakers made by a test; each is closed afterwards and must leave no thread behind."""
    made: list[Speaker] = []
    yield made
    for speaker in made:
        assert speaker.close(timeout=DEADLINE), "the speech thread did not end"


@pytest.fixture
def recorder(tmp_path: Path, events: Events, speakers: list[Speaker]) -> Callable[..., Speaker]:
    def make(directory: Path = tmp_path / "speech", **options: object) -> Speaker:
        speaker = create_speaker(speech_to=directory, on_event=events, **options)  # type: ignore[arg-type]
        speakers.append(speaker)
        assert speaker.wait_ready(DEADLINE)
        assert speaker.status_message == ""
        return speaker

    return make


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
        return samples, wav.getframerate()


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


# ---------------------------------------------------------------------------------------------- recording


@needs_espeak
def test_each_utterance_is_recorded_as_a_wav_with_speech_and_its_text(recorder, events, tmp_path) -> None:
    speaker = recorder()
    number = speaker.say("A window with three buttons.")
    assert speaker.wait_idle(DEADLINE)
    assert events.items == [
        ("started", number, "A window with three buttons."),
        ("finished", number, "A window with three buttons."),
    ]
    samples, rate = read_wav(tmp_path / "speech" / "0001.wav")
    assert rate > 8000
    assert samples.size / rate > 0.5  # a few words take more than half a second to say
    assert rms(samples) > 500  # real speech, not silence
    assert (tmp_path / "speech" / "0001.txt").read_text() == "A window with three buttons.\n"


@needs_espeak
def test_utterances_are_spoken_in_order_and_numbered_from_0001(recorder, events, tmp_path) -> None:
    speaker = recorder()
    texts = ["First.", "Second one.", "The third."]
    numbers = [speaker.say(text) for text in texts]
    assert speaker.wait_idle(DEADLINE)
    directory = tmp_path / "speech"
    assert sorted(p.name for p in directory.iterdir()) == [
        f"000{i}.{ext}" for i in (1, 2, 3) for ext in ("txt", "wav")
    ]
    assert [(directory / f"000{i}.txt").read_text().strip() for i in (1, 2, 3)] == texts
    assert events.items == [
        (kind, n, t) for n, t in zip(numbers, texts, strict=True) for kind in ("started", "finished")
    ]


@needs_espeak
def test_numbering_continues_after_existing_files_and_never_overwrites(recorder, tmp_path) -> None:
    directory = tmp_path / "speech"
    directory.mkdir()
    (directory / "0001.wav").write_bytes(b"old")
    (directory / "0001.txt").write_text("old\n")
    (directory / "0002.txt").write_text("a text whose audio was removed\n")
    speaker = recorder(directory)
    speaker.say("New.")
    assert speaker.wait_idle(DEADLINE)
    assert (directory / "0001.wav").read_bytes() == b"old"
    assert (directory / "0002.txt").read_text() == "a text whose audio was removed\n"
    assert not (directory / "0002.wav").exists()
    assert (directory / "0003.txt").read_text() == "New.\n"
    # A second run into the same folder goes on from there.
    assert speaker.close()
    again = recorder(directory)
    again.say("Newer.")
    assert again.wait_idle(DEADLINE)
    assert (directory / "0004.txt").read_text() == "Newer.\n"


@needs_espeak
def test_stop_truncates_the_recording_and_marks_it_stopped(recorder, events, tmp_path) -> None:
    speaker = recorder()
    number = speaker.say(LONG_TEXT)
    events.wait_for("started", number)
    speaker.stop()
    assert speaker.wait_idle(DEADLINE)
    assert events.wait_for("stopped", number) == ("stopped", number, LONG_TEXT)
    assert "finished" not in events.kinds()
    directory = tmp_path / "speech"
    assert (directory / "0001.txt").read_text() == f"{LONG_TEXT}\n[stopped]\n"
    played, rate = read_wav(directory / "0001.wav")
    whole = EspeakSynthesizer().synthesize(LONG_TEXT)
    assert rate == whole.rate
    assert played.size < whole.frame_count  # only what had been played is kept


@needs_espeak
def test_interrupt_cuts_off_the_current_utterance_and_drops_the_queue(recorder, events, tmp_path) -> None:
    speaker = recorder()
    first = speaker.say(LONG_TEXT)
    speaker.say("Queued, never spoken.")
    speaker.say("Also queued, never spoken.")
    events.wait_for("started", first)
    replacement = speaker.say("The new description.", interrupt=True)
    assert speaker.wait_idle(DEADLINE)
    assert events.items == [
        ("started", first, LONG_TEXT),
        ("stopped", first, LONG_TEXT),
        ("started", replacement, "The new description."),
        ("finished", replacement, "The new description."),
    ]
    directory = tmp_path / "speech"
    assert (directory / "0001.txt").read_text().endswith("\n[stopped]\n")
    assert (directory / "0002.txt").read_text() == "The new description.\n"
    assert not (directory / "0003.txt").exists()


@needs_espeak
def test_speech_goes_on_after_a_stop(recorder, events, tmp_path) -> None:
    speaker = recorder()
    speaker.say(LONG_TEXT)
    events.wait_for("started")
    speaker.stop()
    number = speaker.say("Still talking.")
    assert speaker.wait_idle(DEADLINE)
    assert events.wait_for("finished", number)
    assert (tmp_path / "speech" / "0002.txt").read_text() == "Still talking.\n"


@needs_espeak
def test_rate_and_volume_change_the_recorded_audio(recorder, tmp_path) -> None:
    speaker = recorder(rate=450, volume=1.0)
    text = "The quick brown fox jumps."
    speaker.say(text)
    speaker.wait_idle(DEADLINE)
    speaker.set_rate(150)
    speaker.set_volume(0.25)
    speaker.say(text)
    assert speaker.wait_idle(DEADLINE)
    fast, _ = read_wav(tmp_path / "speech" / "0001.wav")
    slow_quiet, _ = read_wav(tmp_path / "speech" / "0002.wav")
    assert slow_quiet.size > 2 * fast.size
    assert rms(slow_quiet) < 0.5 * rms(fast)


@needs_espeak
def test_voices_are_listed_and_a_voice_can_be_chosen(recorder, tmp_path) -> None:
    speaker = recorder()
    voices = speaker.voices()
    assert len(voices) > 10
    ids = {voice.id for voice in voices}
    assert "gmw/en-US" in ids
    assert speaker.default_voice() in voices
    speaker.set_voice("no/such-voice")  # ignored: speech goes on with the current voice
    speaker.say("Hello.")
    assert speaker.wait_idle(DEADLINE)
    speaker.set_voice("gmw/en-US")
    speaker.say("Hello.")
    assert speaker.wait_idle(DEADLINE)
    british, _ = read_wav(tmp_path / "speech" / "0001.wav")
    american, _ = read_wav(tmp_path / "speech" / "0002.wav")
    assert rms(british) > 500 and rms(american) > 500
    assert not np.array_equal(british, american)


@needs_espeak
def test_disabled_speech_says_nothing(recorder, tmp_path) -> None:
    speaker = recorder(enabled=False)
    assert speaker.say("Nothing.") == 0
    assert not speaker.busy
    speaker.enabled = True
    assert speaker.say("Something.") > 0
    assert speaker.wait_idle(DEADLINE)
    assert (tmp_path / "speech" / "0001.txt").read_text() == "Something.\n"


@needs_espeak
def test_turning_speech_off_silences_it(recorder, events) -> None:
    speaker = recorder()
    number = speaker.say(LONG_TEXT)
    events.wait_for("started", number)
    speaker.enabled = False
    assert speaker.wait_idle(DEADLINE)
    assert events.wait_for("stopped", number)


def test_a_folder_that_cannot_be_written_gives_a_plain_reason(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SpeechUnavailable) as raised:
        RecordingBackend(blocker / "speech")
    assert str(raised.value).startswith("Speech is not working (cannot write to ")


# ---------------------------------------------------------------------------------------------- the thread


class BrokenBackend(SpeechBackend):
    """A backend whose engine raises on every utterance."""

    def __init__(self) -> None:
        self.calls = 0
        self.closed = False

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        self.calls += 1
        raise RuntimeError("the audio device vanished")

    def close(self) -> None:
        self.closed = True


class StuckBackend(SpeechBackend):
    """A backend that hangs in the engine and ignores stop until the test releases it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        on_start()
        self.entered.set()
        self.release.wait(DEADLINE)
        return True


def test_a_failing_backend_falls_back_to_silence_and_reports_once(events, speakers) -> None:
    broken = BrokenBackend()
    speaker = Speaker(lambda: broken, on_event=events)
    speakers.append(speaker)
    number = speaker.say("Hello.")
    speaker.say("Queued behind the failure.")
    assert speaker.wait_idle(DEADLINE)
    _, failed_number, message = events.wait_for("failed")
    assert failed_number == number
    assert message == speaker.status_message
    assert message.startswith("Speech is not working (")
    assert "the audio device vanished" in message
    assert "Traceback" not in message and "\n" not in message
    assert broken.calls == 1 and broken.closed
    assert speaker.say("After the failure.") == 0  # the text is shown instead
    assert speaker.wait_idle(DEADLINE)
    assert events.kinds() == ["failed"]


def test_an_engine_that_cannot_start_is_reported_at_once(events, speakers) -> None:
    def factory() -> SpeechBackend:
        raise SpeechUnavailable("espeak-ng is not installed", "install espeak-ng to hear it")

    speaker = Speaker(factory, on_event=events)
    speakers.append(speaker)
    assert speaker.wait_ready(DEADLINE)
    expected = (
        "Speech is not working (espeak-ng is not installed). The text is shown instead; "
        "install espeak-ng to hear it."
    )
    assert events.items == [("failed", 0, expected)]
    assert speaker.status_message == expected
    assert speaker.voices() == []
    assert speaker.say("Hello.") == 0


def test_a_silent_backend_reports_its_reason(events, speakers) -> None:
    speaker = Speaker(lambda: SilentBackend("Speech is off because of a test."), on_event=events)
    speakers.append(speaker)
    assert speaker.wait_ready(DEADLINE)
    assert speaker.status_message == "Speech is off because of a test."
    assert events.items == [("failed", 0, "Speech is off because of a test.")]


def test_close_gives_up_on_a_stuck_engine_after_its_deadline(events) -> None:
    stuck = StuckBackend()
    speaker = Speaker(lambda: stuck, on_event=events)
    speaker.say("Hello.")
    assert stuck.entered.wait(DEADLINE)
    assert speaker.busy
    speaker.stop()  # returns at once even though the engine ignores it
    assert speaker.wait_idle(0.05) is False
    assert speaker.close(timeout=0.2) is False  # returned at its deadline instead of hanging
    stuck.release.set()
    assert speaker.close(timeout=DEADLINE) is True
    assert events.items[0] == ("started", 1, "Hello.")


def test_say_and_stop_after_close_are_harmless(events) -> None:
    speaker = Speaker(lambda: SpeechBackendThatRecords(), on_event=events)
    assert speaker.close()
    assert speaker.say("Too late.") == 0
    speaker.stop()
    speaker.set_rate(200)
    assert not speaker.busy
    assert speaker.wait_idle(0.1)
    assert speaker.close()
    assert events.items == []


class SpeechBackendThatRecords(SpeechBackend):
    """Keeps what it was asked to say and how, in memory."""

    def __init__(self) -> None:
        self.spoken: list[tuple[str, dict[str, object]]] = []
        self.settings: dict[str, object] = {}

    def speak(self, text: str, cancel: threading.Event, on_start: Callable[[], None]) -> bool:
        on_start()
        self.spoken.append((text, dict(self.settings)))
        return True

    def set_voice(self, voice_id: str | None) -> None:
        self.settings["voice"] = voice_id

    def set_rate(self, words_per_minute: int | None) -> None:
        self.settings["rate"] = words_per_minute

    def set_volume(self, volume: float) -> None:
        self.settings["volume"] = volume


def test_settings_reach_the_engine_before_the_next_utterance(events, speakers) -> None:
    backend = SpeechBackendThatRecords()
    speaker = Speaker(lambda: backend, voice="v1", rate=150, volume=0.5, on_event=events)
    speakers.append(speaker)
    speaker.say("One.")
    assert speaker.wait_idle(DEADLINE)
    speaker.set_volume(7.0)  # clamped
    speaker.set_voice(None)
    speaker.say("Two.")
    assert speaker.wait_idle(DEADLINE)
    assert backend.spoken == [
        ("One.", {"voice": "v1", "rate": 150, "volume": 0.5}),
        ("Two.", {"voice": None, "rate": 150, "volume": 1.0}),
    ]


def test_a_failing_event_handler_does_not_stop_speech(speakers) -> None:
    backend = SpeechBackendThatRecords()

    def handler(kind: str, number: int, text: str) -> None:
        raise ValueError("the UI is gone")

    speaker = Speaker(lambda: backend, on_event=handler)
    speakers.append(speaker)
    speaker.say("One.")
    speaker.say("Two.")
    assert speaker.wait_idle(DEADLINE)
    assert [text for text, _ in backend.spoken] == ["One.", "Two."]


def test_empty_text_is_not_queued(speakers) -> None:
    backend = SpeechBackendThatRecords()
    speaker = Speaker(lambda: backend)
    speakers.append(speaker)
    assert speaker.say("   ") == 0
    assert not speaker.busy


# ---------------------------------------------------------------------------------------------- engines


@needs_espeak
def test_espeak_backend_pipes_speech_into_the_player(events, speakers, tmp_path) -> None:
    heard = tmp_path / "heard.wav"
    player = ("sh", "-c", f"cat > '{heard}'")  # a player whose "speaker" is a file
    speaker = Speaker(lambda: EspeakBackend(players=(player,)), on_event=events)
    speakers.append(speaker)
    number = speaker.say("Played through the pipe.")
    assert speaker.wait_idle(DEADLINE)
    assert events.wait_for("finished", number)
    with wave.open(str(heard), "rb") as wav:  # espeak-ng's streamed WAV, as the player received it
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    assert rms(samples) > 500


@needs_espeak
def test_espeak_backend_stop_kills_the_player(events, speakers) -> None:
    # A player that takes as long as the sound lasts (22050 samples of 2 bytes a second), silently.
    player = ("sh", "-c", "bytes=$(wc -c); exec sleep $((bytes / 44100))")
    speaker = Speaker(lambda: EspeakBackend(players=(player,)), on_event=events)
    speakers.append(speaker)
    number = speaker.say(LONG_TEXT)
    events.wait_for("started", number)
    speaker.stop()
    assert speaker.wait_idle(DEADLINE)
    assert events.wait_for("stopped", number)
    assert speaker.status_message == ""


@needs_espeak
def test_espeak_backend_tries_the_next_player_when_one_cannot_play(events, speakers, tmp_path) -> None:
    heard = tmp_path / "heard.wav"
    players = (("false",), ("sh", "-c", f"cat > '{heard}'"))
    speaker = Speaker(lambda: EspeakBackend(players=players), on_event=events)
    speakers.append(speaker)
    number = speaker.say("Second player.")
    assert speaker.wait_idle(DEADLINE)
    assert events.kinds() == ["started", "finished"]
    assert events.items[-1] == ("finished", number, "Second player.")
    assert heard.stat().st_size > 1000


@needs_espeak
def test_espeak_backend_moves_on_to_the_next_player_when_one_fails_mid_speech(
    events, speakers, tmp_path
) -> None:
    heard = tmp_path / "heard.wav"
    players = (("sh", "-c", "[ $(wc -c) -lt 5000 ]"), ("sh", "-c", f"cat > '{heard}'"))
    speaker = Speaker(lambda: EspeakBackend(players=players), on_event=events)
    speakers.append(speaker)
    number = speaker.say("The first player cannot play this.")
    assert speaker.wait_idle(DEADLINE)
    assert events.items[-1] == ("finished", number, "The first player cannot play this.")
    assert speaker.status_message == ""
    assert heard.stat().st_size > 5000


@needs_espeak
def test_espeak_backend_without_a_working_player_is_silent_from_the_start(events, speakers) -> None:
    speaker = Speaker(lambda: EspeakBackend(players=(("false",),)), on_event=events)
    speakers.append(speaker)
    assert speaker.wait_ready(DEADLINE)
    assert events.items == [("failed", 0, speaker.status_message)]
    assert "no sound device could be opened" in speaker.status_message
    assert speaker.say("Nobody hears this.") == 0


@needs_espeak
def test_espeak_backend_falls_back_to_silence_when_the_player_fails_later(events, speakers, tmp_path) -> None:
    # The player works when the app starts, then loses its sound device (it accepts only short sounds).
    player = ("sh", "-c", "[ $(wc -c) -lt 5000 ]")
    speaker = Speaker(lambda: EspeakBackend(players=(player,)), on_event=events)
    speakers.append(speaker)
    assert speaker.wait_ready(DEADLINE)
    assert speaker.status_message == ""
    number = speaker.say("Nobody hears this sentence.")
    assert speaker.wait_idle(DEADLINE)
    assert events.wait_for("failed", number)[2] == speaker.status_message
    assert "no sound device could be opened" in speaker.status_message
    assert events.kinds().count("failed") == 1


def test_espeak_backend_needs_a_player() -> None:
    with pytest.raises(SpeechUnavailable, match="no sound player was found"):
        EspeakBackend(EspeakSynthesizer("/bin/true"), players=(("no-such-player-here",),))


def test_a_missing_espeak_is_explained(tmp_path) -> None:
    with pytest.raises(SpeechUnavailable) as raised:
        RecordingBackend(tmp_path, EspeakSynthesizer("/nonexistent/espeak-ng")).speak(
            "Hi.", threading.Event(), lambda: None
        )
    assert str(raised.value) == (
        "Speech is not working (espeak-ng is not installed). The text is shown instead; "
        "install espeak-ng to hear it."
    )


def test_pyttsx3_backend_speaks_through_a_pyttsx3_driver(events, speakers) -> None:
    # pyttsx3's "dummy" driver follows the same protocol as SAPI5 and NSSpeechSynthesizer, without sound.
    speaker = Speaker(lambda: Pyttsx3Backend("dummy"), on_event=events, rate=180, voice="dummy.voice2")
    speakers.append(speaker)
    number = speaker.say("Hello from pyttsx3.")
    assert speaker.wait_idle(DEADLINE)
    assert events.items == [
        ("started", number, "Hello from pyttsx3."),
        ("finished", number, "Hello from pyttsx3."),
    ]
    assert [voice.name for voice in speaker.voices()] == ["John Doe", "Jane Doe", "Jimmy Doe"]
    assert speaker.default_voice() == Voice("dummy.voice1", "John Doe", ["en-US", "en-GB"])
    assert speaker.status_message == ""


def test_the_default_speaker_never_hangs(events, speakers) -> None:
    # Real playback: on a machine without a sound card this must become a "failed" event, never a hang.
    speaker = create_speaker(on_event=events)
    speakers.append(speaker)
    assert speaker.wait_ready(DEADLINE)
    number = speaker.say("Testing the speakers.")
    assert speaker.wait_idle(DEADLINE)
    if number:
        assert {"finished", "failed"} & set(events.kinds()), events.items
    else:
        assert speaker.status_message.startswith("Speech is not working (")


# ---------------------------------------------------------------------------------------------- doctor


@needs_espeak
def test_describe_speech_names_the_engine_and_voices() -> None:
    lines = check_speech()
    assert lines[0].startswith("Speech: espeak-ng ")
    assert any(line.startswith("Voices: ") and "installed" in line for line in lines)
    assert any(line.startswith("Default voice: English") for line in lines)
    # Whether this machine has a sound device or not, the last line says how sound is played or why not.
    assert lines[-1].startswith(("Sound: played with ", "Speech is not working (no sound device"))


def test_espeak_voice_listing_is_parsed() -> None:
    listing = (
        "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
        " 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)\n"
        " 5  en-gb-x-gbclan  --/M      English_(Lancaster) gmw/en-GB-x-gbclan   (en-gb 3)(en 5)\n"
        " 5  eu              --/M      Basque             eu                   \n"
    )
    assert parse_espeak_voices(listing) == [
        Voice("gmw/en", "English (Great Britain)", ["en-gb", "en"], named_for_language=True),
        Voice("gmw/en-GB-x-gbclan", "English (Lancaster)", ["en-gb-x-gbclan", "en-gb", "en"], True),
        Voice("eu", "Basque", ["eu"], named_for_language=True),
    ]  # espeak-ng names each voice after its language: lists name the language in the app's instead


# ---------------------------------------------------------------------------------------------- rates


def test_every_voice_takes_the_rates_the_settings_accept() -> None:
    from assistant.config import RATE_RANGE, settings_from_dict

    low, high = RATE_RANGE
    assert clamp_rate(low - 1) == low and clamp_rate(high + 1) == high and clamp_rate(600) == 600
    for rate in (low, 600, high):  # accepted by the settings and asked of espeak-ng unchanged
        settings, rejected = settings_from_dict({"rate": rate})
        assert settings.rate == rate and not rejected
        synth = EspeakSynthesizer("/bin/true")
        synth.set_rate(rate)
        assert synth.command()[-2:] == ["-s", str(rate)]
    for rate in (low - 1, high + 1):
        assert settings_from_dict({"rate": rate})[1] == ["rate"]


def test_one_deadline_for_every_voice() -> None:
    words = "one two three four five six seven eight nine ten " * 35  # 350 words: two minutes at 175
    assert speaking_time_limit(words, None) == speaking_time_limit(words, DEFAULT_WPM) == 10.0 + 3.0 * 120.0
    assert speaking_time_limit(words, 350) == 10.0 + 3.0 * 60.0
    synth = EspeakSynthesizer("/bin/true")
    synth.set_rate(350)
    assert synth.time_limit(words) == speaking_time_limit(words, 350)


def test_pyttsx3_default_rate_is_the_engines_own() -> None:
    backend = Pyttsx3Backend("dummy")
    try:
        own = backend._engine.getProperty("rate")
        backend.set_rate(300)
        assert backend._engine.getProperty("rate") == 300
        backend.set_rate(None)  # "System default" in Settings
        assert backend._engine.getProperty("rate") == own
    finally:
        backend.close()
