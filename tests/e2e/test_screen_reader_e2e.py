"""The running app speaking through a screen reader: a private speech-dispatcher (its voice writes each
message to a file) and an accessibility bus that says a screen reader runs, as GNOME's does with Orca;
and, for Orca 49 and later, a stand-in for Orca's D-Bus service on the desktop's session bus
(tests/speech/orca_service.py, which records every call and speaks through that speech-dispatcher as
Orca does)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_harness import A11Y_TREE, RunningApp, accessible_trees, wait_for

from assistant.bench.screen_reader import PrivateSpeechDispatcher

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not PrivateSpeechDispatcher.available(), reason="needs speech-dispatcher"),
]

SCREEN_READER_ENABLED = ["gdbus", "call", "--session", "--dest", "org.a11y.Bus", "--object-path", "/org/a11y/bus",
                         "--method", "org.freedesktop.DBus.Properties.Set", "org.a11y.Status", "ScreenReaderEnabled"]  # fmt: skip


@pytest.fixture
def speechd(desktop, tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    """A private speech-dispatcher, and the desktop's accessibility bus saying a screen reader runs."""
    server = PrivateSpeechDispatcher(tmp_path / "speechd").start()
    monkeypatch.setitem(desktop.env, "SPEECHD_ADDRESS", server.address)

    def enable(value: str) -> bool:
        return (
            subprocess.run([*SCREEN_READER_ENABLED, value], env=desktop.env, capture_output=True).returncode
            == 0
        )

    wait_for(lambda: enable("<true>"), 10, "the accessibility bus taking ScreenReaderEnabled")
    yield server
    enable("<false>")
    server.stop()


@pytest.fixture
def orca(desktop, speechd, start_orca) -> Path:
    """A stand-in for Orca 49's D-Bus service on the desktop's bus, speaking through the private
    speech-dispatcher; its record of calls."""
    return start_orca("orca49", "49.2", env=desktop.env).record


def orca_calls(record: Path, *members: str) -> list[list]:
    lines = record.read_text(encoding="utf-8").splitlines() if record.exists() else []
    return [call for call in map(json.loads, lines) if call[0] in members]


def start_with_screen_reader(start_app, server: PrivateSpeechDispatcher) -> RunningApp:
    def ready(app: RunningApp) -> None:
        app.check_alive()
        wait_for(lambda: "Ready." in server.said(), 40, "'Ready.' reaching speech-dispatcher")

    # The settings say the app's own voice; --speak-with decides for this run.
    return start_app("--speak-with", "screen-reader", settings='speak_with = "own-voice"\n', wait_ready=ready)


def describe(app: RunningApp, server: PrivateSpeechDispatcher) -> str:
    """Press Ctrl+Alt+D; the first sentence of the description that speech-dispatcher is given."""
    before = len(server.said())
    app.key("ctrl+alt+d")
    wait_for(lambda: len(server.said()) > before, 25, "the description reaching speech-dispatcher")
    return server.said()[before]


def test_the_description_goes_to_the_screen_reader_only(start_app, speechd):
    app = start_with_screen_reader(start_app, speechd)
    first = describe(app, speechd)
    assert first.strip()
    assert "working" in app.cues()  # the app's own cue sounds still play
    assert app.utterances() == []  # and its own voice said nothing: nothing twice
    doctor = app.run(sys.executable, "-m", "assistant", "doctor", timeout=120)
    assert f"Screen reader: the screen reader through speech-dispatcher ({speechd.address})." in doctor.stdout


def test_with_orca_the_description_goes_to_its_voice_and_braille_display_once(start_app, speechd, orca):
    app = start_with_screen_reader(start_app, speechd)
    first = describe(app, speechd)

    def presented() -> list[str]:
        return [args[0] for _member, args in orca_calls(orca, "PresentMessage")]

    # Everything spoken went through Orca (PresentMessage: its voice and a braille flash), once, in order;
    # the app's own voice said nothing and nothing went to speech-dispatcher but through Orca.
    assert first in presented()
    said, given = speechd.said(), presented()
    assert said == [message for message in given if message in said], (said, given)
    assert all(said.count(message) <= given.count(message) for message in said)
    assert app.utterances() == []
    wait_for(lambda: speechd.speaking(), 10, "Orca's voice speaking")
    app.key("ctrl+alt+s")
    wait_for(lambda: ["ExecuteCommand", ["InterruptSpeech", False]] in orca_calls(orca, "ExecuteCommand"), 10,
             "Orca told to stop")  # fmt: skip
    wait_for(lambda: not speechd.speaking(), 10, "Orca's voice cut off by Stop")
    doctor = app.run(sys.executable, "-m", "assistant", "doctor", timeout=120)
    assert (
        "Screen reader: Orca 49.2 through its D-Bus service (org.gnome.Orca.Service): its voice and braille "
        "display."
    ) in doctor.stdout, doctor.stdout


def test_stop_cancels_the_screen_readers_speech(start_app, speechd):
    app = start_with_screen_reader(start_app, speechd)
    describe(app, speechd)
    wait_for(lambda: speechd.speaking(), 10, "speech-dispatcher's voice speaking")
    said = len(speechd.said())
    app.key("ctrl+alt+s")
    wait_for(lambda: not speechd.speaking(), 10, "the voice cut off by Stop")
    app.trigger("describe-screen")  # proves the app is still answering; the stopped text does not resume
    wait_for(lambda: len(speechd.said()) > said, 25, "the next description")
    assert app.utterances() == []


def test_a_killed_speech_dispatcher_falls_back_to_the_own_voice_losing_nothing(start_app, speechd):
    app = start_with_screen_reader(start_app, speechd)
    first = describe(app, speechd)
    wait_for(lambda: speechd.speaking(), 10, "speech-dispatcher's voice speaking")
    speechd.kill()
    # The sentence speech-dispatcher was speaking is said again, whole, by the app's own voice.
    spoken = app.wait_utterance(0, timeout=25, what="the own voice taking over")
    assert spoken.text == " ".join(first.split())
    log = app.log.read_text()
    assert log.count("The screen reader stopped answering") == 1, log


def settings_nodes(app: RunningApp) -> list[dict]:
    """The Settings window's accessible tree, flattened, as a screen reader sees it."""
    app.trigger("settings")
    app.wait_window("Settings")
    return [node for tree in accessible_trees(app) for node in _walk(tree)]


@pytest.mark.skipif(not A11Y_TREE.exists(), reason="needs ../shared/tools/a11y-tree")
def test_settings_show_the_screen_reader_to_a_screen_reader(start_app, speechd):
    app = start_with_screen_reader(start_app, speechd)
    nodes = settings_nodes(app)
    # Qt gives AT-SPI a combo box's current choice as its name; its label comes right before it.
    label = next(
        i for i, node in enumerate(nodes) if node["role"] == "label" and node["name"] == "Speak with:"
    )
    combo = nodes[label + 1]
    assert combo["role"] == "combo box" and combo["focusable"]
    assert combo["name"] == "My screen reader when one is running"
    reader = f"Screen reader: the screen reader through speech-dispatcher ({speechd.address})."
    assert any(node["name"] == reader and node["focusable"] for node in nodes), [n["name"] for n in nodes]


@pytest.mark.skipif(not A11Y_TREE.exists(), reason="needs ../shared/tools/a11y-tree")
def test_settings_show_orca_and_the_way_to_its_braille_display(start_app, speechd, orca):
    app = start_with_screen_reader(start_app, speechd)
    nodes = settings_nodes(app)
    reader = (
        "Screen reader: Orca 49.2 through its D-Bus service (org.gnome.Orca.Service): its voice and braille "
        "display."
    )
    assert any(node["name"] == reader and node["focusable"] for node in nodes), [n["name"] for n in nodes]


def _walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("children", []):
        yield from _walk(child)
