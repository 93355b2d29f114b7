"""The running app under Xvfb: hotkey → spoken description of a window of text, then its text; typed
question → spoken answer, Stop, the region chooser by keyboard, one instance only, a locked screen not
captured, and what a screen reader sees of its windows."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_harness import A11Y_TREE, RunningApp, Utterance, accessible_trees, wait_for

# Every test has a window of text on the screen: an empty screen is blank, and is named, not described.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("text_on_screen")]

LOUD = 1000  # a peak above this is speech, not silence (16-bit samples)


def describe_and_wait(app: RunningApp, how=None) -> str:
    """Start a description (by the Ctrl+Alt+D hotkey unless `how` does it) and return what was said."""
    before = app.last_number()
    (how or (lambda: app.key("ctrl+alt+d")))()
    said = app.wait_utterance(before, timeout=25, what="a spoken description")
    assert "[stopped]" not in said.text
    return said.text


def wait_text_after_gist(app: RunningApp, after: int, timeout: float = 40) -> Utterance:
    """The text on the screen, said after the gist ("Text on it: …"): the last thing a description of a
    screen with text says. Its recording is finished once it is listed, so the app is quiet after it."""

    def said():
        return next(
            (u for u in app.utterances() if u.number > after and u.text.startswith("Text on it:")), None
        )

    return wait_for(said, timeout, "the text on the screen after the gist")  # type: ignore[return-value]


def describe_and_hear_it_all(app: RunningApp) -> None:
    """Describe the screen by the hotkey, and wait for its text to be said after the gist."""
    before = app.last_number()
    describe_and_wait(app)
    wait_text_after_gist(app, before)


def test_the_hotkey_describes_the_screen_aloud(start_app):
    app = start_app(settings="rate = 300\ntext_word_limit = 0\n")  # all the text on the screen is read
    before = app.last_number()
    app.key("ctrl+alt+d")
    said = app.wait_utterance(before, timeout=25, what="a spoken description")
    assert said.text and "[stopped]" not in said.text
    assert "blank" not in said.text
    assert said.peak() > LOUD
    assert "working" in app.cues()
    wait_text_after_gist(app, before)
    spoken = " ".join(u.text for u in app.utterances() if u.number > before)
    # The text window's last line, below the app's own window: read after the gist.
    assert "Text on it:" in spoken and "water the plants" in spoken


def test_a_typed_question_is_answered_aloud(start_app):
    app = start_app()
    describe_and_hear_it_all(app)
    app.trigger("ask")
    app.wait_window("Ask about the image")
    before = app.last_number()
    app.type("what colour is it")
    app.key("Return")
    answer = app.wait_utterance(before, timeout=25, what="a spoken answer")
    assert answer.peak() > LOUD
    assert "[stopped]" not in answer.text


def test_stop_cuts_off_a_long_description(start_app):
    app = start_app(settings='rate = 80\ndetail = "detailed"\n')
    before = app.last_number()
    app.trigger("describe-screen")
    wait_for(lambda: [w for w in app.playing() if int(w.stem) > before], 30, "a long description to start")
    time.sleep(0.5)  # let some of it be heard: espeak-ng's audio opens with a short silence
    app.key("ctrl+alt+s")
    said = app.wait_utterance(before, timeout=10, what="the stopped utterance")
    assert said.text.endswith("[stopped]")
    assert said.peak() > LOUD  # it was heard until Stop


def test_a_region_is_chosen_with_the_keyboard_alone(start_app):
    app = start_app()
    app.trigger("describe-region")
    app.wait_window("Choose a region")
    opened = app.last_number()
    app.key("Right", "shift+Right", "ctrl+Down")
    # As a user does, Enter after hearing where the region is: each change cuts off the one before, and
    # under load Enter came before any was said whole (nothing of the three was recorded).
    wait_for(
        lambda: [u for u in app.utterances() if u.number > opened and "pixels" in u.text],
        25,
        "the region's position and size said",
    )
    before = app.last_number()
    app.key("Return")
    wait_for(lambda: "working" in app.cues(), 10, "the cue that work has started")
    said = wait_for(
        lambda: [
            u
            for u in app.utterances()
            if u.number > before and "pixels" not in u.text and "[stopped]" not in u.text
        ],
        25,
        "a spoken description of the region",
    )
    assert said[0].peak() > LOUD


def test_a_second_app_steps_aside(start_app, tiny_model_dir):
    app = start_app()
    second = app.run(sys.executable, "-m", "assistant", "run", "--model", str(tiny_model_dir), timeout=30)
    assert second.returncode == 1
    assert "The assistant is already running." in second.stderr
    app.check_alive()


def _walk(node: dict, path: str = ""):
    here = f"{path}/{node['role']}:{node['name']!r}"
    yield node, here
    for child in node["children"]:
        yield from _walk(child, here)


@pytest.mark.skipif(not A11Y_TREE.exists() or not Path("/usr/bin/python3").exists(), reason="needs a11y-tree")
def test_every_focusable_control_has_a_role_and_a_name(start_app):
    app = start_app()
    describe_and_wait(app, lambda: app.trigger("describe-screen"))
    app.trigger("ask")
    app.wait_window("Ask about the image")
    app.trigger("settings")
    app.wait_window("Settings")
    trees = accessible_trees(app)
    nodes = [pair for tree in trees for pair in _walk(tree)]
    names = {node["name"] for node, _ in nodes}
    assert {
        "Ask about the image",
        "Settings",
        "Question",
        "Ask",
        "Conversation",
        "Text on it",
        "Captured image",
    } <= names
    assert any(node["role"] == "image" and node["description"] for node, _ in nodes)
    unnamed = [
        where for node, where in nodes if node["focusable"] and not (node["role"] and node["name"].strip())
    ]
    assert unnamed == []


def test_quit_from_the_trigger_ends_the_app(start_app):
    app = start_app()
    app.trigger("quit")
    try:
        app.process.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("the app did not quit")
    assert app.process.returncode == 0


def test_new_capture_from_the_dialog_describes_again_and_reopens_it(start_app):
    app = start_app()
    describe_and_hear_it_all(app)
    assert app.cues() == ["working"]  # one cue per request
    app.trigger("ask")
    app.wait_window("Ask about the image")
    before = app.last_number()
    app.key("alt+n")
    said = app.wait_utterance(before, timeout=25, what="a new description")
    assert "[stopped]" not in said.text
    assert app.cues() == ["working", "working"]
    app.wait_window("Ask about the image")


def test_a_hotkey_changed_in_settings_works_at_once(start_app, tmp_path):
    app = start_app()
    app.trigger("settings")
    app.wait_window("Settings")
    app.key("ctrl+a")
    app.type("ctrl+alt+x")
    before = app.last_number()
    app.key("Return")
    saved = app.wait_utterance(before, timeout=15, what="the spoken 'Settings saved.'")
    assert saved.text == "Settings saved."
    assert 'describe-screen = "ctrl+alt+x"' in (tmp_path / "settings.toml").read_text()
    before = saved.number
    app.key("ctrl+alt+x")
    said = app.wait_utterance(before, timeout=25, what="a description from the new hotkey")
    assert "[stopped]" not in said.text


def test_a_locked_screen_is_said_and_nothing_is_captured(start_app, desktop, screen_saver):
    app = start_app()
    screen_saver(active=True, env=desktop.env)
    before = app.last_number()
    app.key("ctrl+alt+d")
    said = app.wait_utterance(before, timeout=25, what="the spoken lock")
    assert said.text == "The screen is locked; nothing was captured."
    assert said.peak() > LOUD
    app.trigger("ask")  # nothing was kept: there is no image to ask about
    app.wait_window("Ask about the image")
    after = app.wait_utterance(said.number, timeout=15, what="the dialog's hint")
    assert after.text.startswith("There is no image yet.")


def test_text_over_the_limit_names_the_key_and_ctrl_alt_e_reads_the_rest(start_app):
    app = start_app(settings="rate = 300\ntext_word_limit = 3\n")
    before = app.last_number()
    app.key("ctrl+alt+d")

    cut = wait_text_after_gist(app, before)
    more = re.search(r"… (\d+) more words?; press Control Alt E to hear (?:them|it)\.$", cut.text)
    assert more is not None, cut.text
    before = app.last_number()
    app.key("ctrl+alt+e")
    rest = app.wait_utterance(before, timeout=20, what="the rest of the text")
    assert "[stopped]" not in rest.text and rest.peak() > LOUD
    assert len(rest.text.split()) == int(more[1])  # every word the count promised, from the cut on
    wait_for(lambda: not app.playing(), 20, "the rest to be said")
    before = app.last_number()
    app.key("ctrl+alt+e")
    assert (
        app.wait_utterance(before, timeout=20, what="that no text is left").text == "There is no more text."
    )
