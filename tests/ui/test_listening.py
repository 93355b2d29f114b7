"""Spoken questions in the dialog: a recording of espeak-ng speaking goes through the microphone's path
(the Listener), is transcribed offline by Whisper tiny.en, and is asked like a typed question."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import wave

import numpy as np
import pytest
from ui_flow import picture, wait_idle

from assistant.speech.microphone import NO_MICROPHONE
from assistant.speech.stt import SpeechInputError
from assistant.ui.listening import recording_source

QUESTION = "What colour is the car?"


@pytest.fixture(scope="session")
def stt_model(stt_model_dir) -> str:
    """Whisper tiny.en in CTranslate2 form, its files checked (tests/fixtures/whisper.py; no network)."""
    return str(stt_model_dir)


def spoken(tmp_path, text: str, silence_before: float = 0.3, silence_after: float = 1.5) -> np.ndarray:
    """espeak-ng saying `text`, as 16 kHz samples with quiet before and after, as a microphone hears it."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    path = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(path), text], check=True, timeout=30)
    with wave.open(str(path)) as recording:
        rate = recording.getframerate()
        data = np.frombuffer(recording.readframes(recording.getnframes()), "<i2").astype(np.float32) / 32768
    from assistant.speech.stt import resample

    speech = resample(data, rate)
    rng = np.random.default_rng(0)
    quiet = lambda seconds: (rng.standard_normal(int(seconds * 16000)) * 0.001).astype(np.float32)  # noqa: E731
    return np.concatenate([quiet(silence_before), speech, quiet(silence_after)])


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z ]+", " ", text.lower().replace("color", "colour")).split()


@pytest.fixture
def described(qtbot, make_controller, stt_model, tmp_path):
    """A ready controller that has described a picture, hearing questions from `source` (set later)."""

    def make(source, **settings):
        controller, recorded = make_controller(audio_source=source, stt_model=stt_model, **settings)
        qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
        controller.describe(picture((200, 0, 0)))
        wait_idle(qtbot, controller)
        return controller, recorded

    return make


def test_a_spoken_question_is_transcribed_asked_and_answered(qtbot, described, tmp_path):
    controller, recorded = described(recording_source(spoken(tmp_path, QUESTION)))
    controller.handle("listen")
    dialog = controller.dialog
    assert dialog.isVisible()
    assert dialog.talk_button.accessibleName() == "Stop listening"
    qtbot.waitUntil(lambda: len(dialog.turns) == 1, timeout=30000)
    wait_idle(qtbot, controller)
    heard = dialog.turns[0].question
    assert {"what", "colour", "car"} <= set(words(heard)), heard
    assert " ".join(dialog.turns[0].answer.split()) in " ".join(recorded.texts())
    assert recorded.cues()[-3:] == ["listening", "stopped-listening", "working"]
    assert dialog.talk_button.accessibleName() == "Talk"


def test_with_confirmation_the_words_wait_in_the_question_box(qtbot, described, tmp_path):
    controller, recorded = described(recording_source(spoken(tmp_path, QUESTION)), ask_after_listening=False)
    asked = []
    controller.ensure_dialog().ask_requested.connect(asked.append)
    controller.listen()
    qtbot.waitUntil(lambda: controller.dialog.question.text() != "", timeout=30000)
    assert "car" in words(controller.dialog.question.text())
    assert controller.speaker.wait_idle(20)
    assert recorded.texts()[-1].startswith("Heard:") and recorded.texts()[-1].endswith("Press Enter to ask.")
    assert asked == []


def test_speaking_stops_the_app_talking(qtbot, described, tmp_path):
    controller, recorded = described(recording_source(spoken(tmp_path, QUESTION, silence_before=1.5)))
    started = threading.Event()
    controller._speech_event.connect(lambda event: event[0] == "started" and started.set())
    controller.say("A long sentence that goes on and on while the person starts to ask something. " * 5)
    qtbot.waitUntil(started.is_set, timeout=20000)
    controller.listen()
    qtbot.waitUntil(lambda: any(t.endswith("[stopped]") for t in recorded.texts()), timeout=20000)
    qtbot.waitUntil(lambda: len(controller.dialog.turns) == 1, timeout=30000)
    wait_idle(qtbot, controller)


def test_pressing_again_stops_listening(qtbot, described, tmp_path):
    silence = np.zeros(16000 * 8, np.float32)
    controller, _recorded = described(recording_source(silence))
    controller.listen()
    qtbot.waitUntil(lambda: controller.status == "Listening…", timeout=5000)
    controller.handle("listen")
    qtbot.waitUntil(lambda: controller.status == "Stopped listening.", timeout=10000)
    assert not controller.listening.active
    assert controller.dialog.turns == []
    assert controller.dialog.talk_button.accessibleName() == "Talk"


def test_no_microphone_is_said_and_typing_still_works(qtbot, described):
    def no_microphone():
        raise SpeechInputError(NO_MICROPHONE)

    controller, recorded = described(no_microphone)
    controller.listen()
    qtbot.waitUntil(lambda: controller.status == NO_MICROPHONE, timeout=10000)
    assert controller.speaker.wait_idle(20)
    assert recorded.texts()[-1] == NO_MICROPHONE
    assert controller.dialog.status.text() == NO_MICROPHONE
    controller.dialog.question.setText("What is it?")
    controller.dialog.submit()
    qtbot.waitUntil(lambda: len(controller.dialog.turns) == 1, timeout=20000)
    wait_idle(qtbot, controller)


def test_listening_without_an_image_says_what_to_do(qtbot, make_controller, stt_model):
    controller, recorded = make_controller(audio_source=recording_source(np.zeros(1600, np.float32)))
    qtbot.waitUntil(lambda: recorded.texts() == ["Ready."], timeout=20000)
    controller.listen()
    assert not controller.listening.active
    assert controller.speaker.wait_idle(20)
    assert "There is no image yet" in recorded.texts()[-1]
