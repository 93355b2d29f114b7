"""The ScreenCast portal backend against the real xdg-desktop-portal, its desktop side mocked: consent,
the restore token kept (0600) and reused so that later sessions ask nothing, refusal, no answer.

The frame itself comes from PipeWire through GStreamer, which this machine's test desktop does not run;
the sway end-to-end test is where that path is taken for real."""

from __future__ import annotations

import json
import stat

import pytest

from assistant.capture.base import CaptureError
from assistant.capture.portal_screencast import NO_GSTREAMER, REFUSED, PortalScreenCastBackend


@pytest.fixture
def token_file(tmp_path):
    return tmp_path / "state" / "screencast-restore-token"


def test_consent_keeps_a_restore_token_that_the_next_session_brings_back(portal_desktop, token_file) -> None:
    first = PortalScreenCastBackend(token_file=token_file)
    try:
        first.set_up(deadline=10)
    finally:
        first.close()
    token = token_file.read_text()
    assert token and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    second = PortalScreenCastBackend(token_file=token_file)
    try:
        second.set_up(deadline=10)
    finally:
        second.close()
    selected = json.loads(portal_desktop.cast("Seen")[0])["selected"]
    assert len(selected) == 2
    assert selected[0]["persist_mode"] == "2" and selected[0]["types"] == "1"
    assert "restore_data" not in selected[0]
    assert "HEADLESS-1" in selected[1]["restore_data"]  # the desktop gets back what it kept: no question
    assert token_file.read_text() == token  # the one the desktop gave back last (1.16 gives the same again)


def test_a_refusal_keeps_no_token_and_says_how_to_allow_it(portal_desktop, token_file) -> None:
    portal_desktop.cast("SetAnswer", "s", json.dumps({"response": 2}))
    backend = PortalScreenCastBackend(token_file=token_file)
    with pytest.raises(CaptureError) as error:
        backend.set_up(deadline=10)
    assert str(error.value) == REFUSED
    assert not token_file.exists()


def test_a_portal_that_never_answers_is_caught_by_the_deadline(portal_desktop, token_file) -> None:
    portal_desktop.cast("SetAnswer", "s", json.dumps({"never": True}))
    backend = PortalScreenCastBackend(token_file=token_file)
    with pytest.raises(CaptureError, match=r"did not answer within 0\.5 seconds"):
        backend.set_up(deadline=0.5)


def test_without_gstreamer_it_says_what_to_install(portal_desktop, token_file, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert PortalScreenCastBackend(token_file=token_file).problem() == NO_GSTREAMER
