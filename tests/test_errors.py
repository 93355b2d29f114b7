"""Every package's errors are a `UserError`, and the places that tell the user catch that, not one package's."""

from __future__ import annotations

import pytest

from assistant.capture import CaptureError
from assistant.config import SettingsError
from assistant.documents.model import DocumentError
from assistant.documents.sources import SourceError
from assistant.engine.base import EngineError
from assistant.errors import UserError
from assistant.hotkeys.combos import HotkeyError
from assistant.instance import TriggerError
from assistant.ocr import OcrError
from assistant.speech.backend import SpeechUnavailable
from assistant.speech.stt import SpeechInputError

PACKAGE_ERRORS = [
    EngineError,
    SpeechInputError,
    SpeechUnavailable,
    CaptureError,
    SettingsError,
    TriggerError,
    HotkeyError,
    DocumentError,
    SourceError,
    OcrError,
]


@pytest.mark.parametrize("error", PACKAGE_ERRORS)
def test_every_package_error_is_a_user_error(error: type[Exception]) -> None:
    assert issubclass(error, UserError)


@pytest.mark.parametrize(
    "error", [SpeechInputError, CaptureError, SettingsError, TriggerError, DocumentError]
)
def test_no_package_borrows_the_engine_error(error: type[Exception]) -> None:
    assert not issubclass(error, EngineError)


def test_a_capture_failure_on_the_model_thread_is_told_in_its_own_sentence() -> None:
    from assistant.ui.worker import ModelWorker, Request

    sentence = "The screen could not be captured. Allow screen recording in the system settings."

    def grab():
        raise CaptureError(sentence)

    worker = ModelWorker(load=lambda spec, say: None)
    failures: list[tuple[int, str]] = []
    worker.failed.connect(lambda request_id, message: failures.append((request_id, message)))
    request = Request("describe", grab)
    worker.run(request)
    assert failures == [(request.id, sentence)]
