"""The slow steps run on the app's other threads and by the command line: the lock check, the blank check."""

from __future__ import annotations

import pytest
from PIL import Image
from session_fakes import text_picture

import assistant.capture
from assistant.capture import CaptureError
from assistant.capture.locked import LOCKED_MESSAGE
from assistant.session import Captured, CaptureJob
from assistant.session.steps import blank, take_picture


@pytest.fixture
def locked(monkeypatch) -> list[bool]:
    state = [False]
    monkeypatch.setattr(assistant.capture, "screen_is_locked", lambda: state[0])
    return state


def test_a_locked_screen_is_not_captured(locked) -> None:
    locked[0] = True
    grabs: list[int] = []

    def grab() -> Captured:
        grabs.append(1)
        return Captured(text_picture())

    taken = take_picture(CaptureJob(grab))
    assert taken.refused and taken.message == LOCKED_MESSAGE and grabs == []
    assert take_picture(CaptureJob(grab, of_screen=False)).captured is not None  # a file is no screen


def test_a_blank_picture_is_named_by_its_colour(locked) -> None:
    taken = take_picture(CaptureJob(lambda: Captured(Image.new("RGB", (64, 64), "white"), what="window")))
    assert taken.refused and taken.captured is None
    found = blank(Image.new("RGB", (8, 8), "white"), "window")
    assert found is not None and found.colour == "white"
    assert taken.message == found.message == "The window is blank: all white."


def test_a_failed_grab_is_its_sentence(locked) -> None:
    def grab() -> Captured:
        raise CaptureError("The screen could not be captured. Allow screen recording.")

    taken = take_picture(CaptureJob(grab))
    assert not taken.refused and taken.message == "The screen could not be captured. Allow screen recording."


def test_a_picture_with_something_on_it_is_taken(locked) -> None:
    picture = text_picture()
    taken = take_picture(CaptureJob(lambda: Captured(picture)))
    assert taken.captured is not None and taken.captured.image is picture and blank(picture, "x") is None
