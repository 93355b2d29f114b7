"""The running app with a real Orca: Debian's Orca 51, prepared by tests/speech/real_orca/setup.sh (Debian
12's own Orca, 43, has no D-Bus service), running on the test desktop and speaking through a private
speech-dispatcher whose voice writes each message to a file.

Run where it is prepared (it is skipped otherwise):

    tests/speech/real_orca/setup.sh DIR
    ASSISTANT_REAL_ORCA=DIR python3 dev.py test tests/e2e/test_real_orca_e2e.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_harness import ROOT, RunningApp, show_text_window, stop_process, wait_for

from assistant.bench.screen_reader import PrivateSpeechDispatcher

PREPARED = Path(os.environ.get("ASSISTANT_REAL_ORCA", "/nonexistent"))
LAUNCH = ROOT / "tests" / "speech" / "real_orca" / "launch.py"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (PREPARED / "root" / "usr" / "bin" / "orca").exists(),
        reason="needs a real Orca: tests/speech/real_orca/setup.sh DIR, then ASSISTANT_REAL_ORCA=DIR",
    ),
    pytest.mark.skipif(not PrivateSpeechDispatcher.available(), reason="needs speech-dispatcher"),
]


def presented(debug_log: Path) -> list[str]:
    """What Orca's D-Bus service was given to present, from Orca's debug log."""
    text = debug_log.read_text(encoding="utf-8", errors="replace") if debug_log.exists() else ""
    return re.findall(r"DBUS SERVICE: PresentMessage called with: '(.*)'$", text, re.MULTILINE)


@pytest.fixture
def orca(desktop, tmp_path, monkeypatch) -> Iterator[PrivateSpeechDispatcher]:
    """Orca on the desktop, with its default settings, and the speech-dispatcher it speaks through."""
    voice = PrivateSpeechDispatcher(tmp_path / "speechd", seconds=1.0).start()
    monkeypatch.setitem(desktop.env, "SPEECHD_ADDRESS", voice.address)
    home = tmp_path / "orca-home"
    for folder in ("config", "data", "cache"):
        (home / folder).mkdir(parents=True)
    env = dict(
        desktop.env,
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        GSETTINGS_SCHEMA_DIR=str(PREPARED / "schemas"),
        GSETTINGS_BACKEND="memory",
    )
    process = subprocess.Popen(
        ["/usr/bin/python3", str(LAUNCH), str(PREPARED), "--debug-file", str(tmp_path / "orca-debug.out")],
        env=env,
        stdout=(tmp_path / "orca.out").open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: "Screen reader on." in voice.said(), 60, "Orca saying it is on")
    wait_for(lambda: not voice.speaking(), 10, "Orca's start-up speech ending")
    yield voice
    stop_process(process, grace=10)
    voice.stop()


def test_the_description_goes_through_orca_in_order_and_stop_drops_the_rest(
    start_app, desktop, orca, tmp_path
):
    show_text_window(desktop)

    def ready(app: RunningApp) -> None:
        app.check_alive()
        # The window in front, as a user has it: its status, which the focus starts on, reaches Orca.
        app.run("xdotool", "windowfocus", "--sync", app.wait_window("Assistant"), check=True)
        wait_for(lambda: "Ready." in orca.said(), 40, "'Ready.' reaching Orca's voice")

    app = start_app("--speak-with", "screen-reader", wait_ready=ready)
    # No tray here: the app's window shows its state, and does not have Orca read it out as well as what
    # the app says ("Ready." and "Ready. <the model>"), nor the loading count at every second.
    # Nor the focused status's new name: Orca reads those out ("Status: Ready." and the model, heard).
    assert sum("Ready." in line for line in orca.said()) == 1, orca.said()
    assert not [line for line in orca.said() if re.search(r"\d s$", line)], orca.said()
    doctor = app.run(sys.executable, "-m", "assistant", "doctor", timeout=120)
    assert (
        "Screen reader: Orca 51.2 through its D-Bus service (org.gnome.Orca1.Service): its voice and braille "
        "display."
    ) in doctor.stdout, doctor.stdout
    debug_log = tmp_path / "orca-debug.out"
    given_before, said_before = len(presented(debug_log)), len(orca.said())
    app.key("ctrl+alt+d")  # Orca echoes the key and cuts off what it was saying, as with any key
    wait_for(lambda: len(presented(debug_log)) >= given_before + 2, 60, "the description reaching Orca")
    assert app.utterances() == []  # the app's own voice said nothing
    # Handed over as they were generated, Orca speaks them in the order given, each once, the first to its
    # end before the next begins (its voice takes 1 s a message here): none is cut off by the next.
    given = presented(debug_log)[given_before:]
    wait_for(
        lambda: any(line.startswith("Text on it:") for line in orca.said()), 30, "the text after the gist"
    )
    said, to_the_end = orca.said(), orca.spoken_to_the_end()
    gist = said.index(given[0], said_before)
    text = next(i for i, line in enumerate(said) if line.startswith("Text on it:"))
    assert gist < text and to_the_end[gist], (given, said[said_before:])
    assert said.count(given[0]) == 1, said
    assert sum(given[0] in line for line in said) == 1, said  # not in "Last: …" of the status's name too
    # Stop: Orca's voice falls silent at once, and what was still queued is never spoken.
    wait_for(lambda: orca.speaking(), 10, "Orca's voice speaking")
    app.key("ctrl+alt+s")
    wait_for(lambda: not orca.speaking(), 10, "Orca's voice cut off by Stop")
    count = len(orca.said())
    time.sleep(2.5)
    assert len(orca.said()) == count, orca.said()[count:]


def test_with_speech_off_and_a_tray_orca_says_a_failure_once(start_app, desktop, orca, tmp_path):
    """The app's speech off, with a tray (trayer, no notification daemon): a failure was only a tray
    balloon, which Orca never heard. Orca says it once, with its own voice."""
    from tests.e2e.test_tray import Screen

    screen = Screen(desktop.env["DISPLAY"])
    host = subprocess.Popen(["trayer", "--edge", "top"], env=desktop.env, stderr=subprocess.DEVNULL)
    try:
        wait_for(screen.tray_owner, 15, "trayer taking the system tray")
        # Orca's voice here takes a message a sentence at a time: one line each.
        problem, then = "There is no image on the clipboard.", " Copy an image first, then try again."
        app = start_app(settings="speech_enabled = false\n", wait_ready=lambda app: app.check_alive())
        wait_for(lambda: "Ready." in orca.said(), 60, "'Ready.' reaching Orca's voice")
        app.trigger("describe-clipboard")  # nothing on this display's clipboard
        wait_for(lambda: problem in orca.said(), 30, "the failure reaching Orca's voice")
        app.trigger("describe-clipboard")  # the last: what came before it has all been said
        wait_for(lambda: orca.said().count(then) == 2, 30, "the failure said again")
        said = orca.said()
        assert said[said.index(problem) :] == [problem, then] * 2, said
        assert said.count("Ready.") == 1, said
        assert app.utterances() == []  # the app's own voice said nothing
    finally:
        stop_process(host)
        screen.close()


# Three announcements through the app's own announce(): two at once, one a moment later.
ANNOUNCING = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
from assistant.ui.announce import announce

app = QApplication([])
label = QLabel("status")

def at_once():
    announce(label, "A cat on a sofa.")
    announce(label, "Text on it: Hello.")
    QTimer.singleShot(1500, lambda: announce(label, "Ready."))
    QTimer.singleShot(2500, app.quit)

QTimer.singleShot(1000, at_once)
app.exec()
"""


def test_announcements_made_at_once_are_all_said(desktop, orca, tmp_path):
    """Orca drops an event within 0.1 s of one of the same kind from the same application: of two
    announcements made at once it said the first alone ("Text on it: Hello." never heard)."""
    env = dict(desktop.env, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", ANNOUNCING], env=env, timeout=60, capture_output=True)
    assert done.returncode == 0, done.stderr
    wait_for(lambda: "Ready." in orca.said(), 20, "the last announcement said")
    said = orca.said()
    assert said[said.index("A cat on a sofa.") :] == ["A cat on a sofa.", "Text on it: Hello.", "Ready."], (
        said
    )
