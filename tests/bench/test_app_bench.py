"""The app's first-word figure: measured through the controller, with the engine where the app keeps it."""

from __future__ import annotations

import shutil
import threading

import pytest
from PIL import Image

from assistant.bench.app import (
    measure_app_process,
    measure_first_word,
    measure_hotkey_to_word,
    measure_read_text,
)
from assistant.config import RATE_RANGE
from assistant.engine import load_engine


@pytest.mark.slow
def test_first_word_is_timed_on_the_model_thread(qapp, tiny_model_dir) -> None:
    threads: list[str] = []

    def load():
        threads.append(threading.current_thread().name)
        engine = load_engine(str(tiny_model_dir), device="cpu", precision="fp32", progress=False)
        describe = engine.describe

        def recorded(*args, **kwargs):
            threads.append(threading.current_thread().name)
            return describe(*args, **kwargs)

        engine.describe = recorded
        return engine

    figures = measure_first_word(load, Image.new("RGB", (320, 200), (200, 220, 240)), repeat=2)
    assert figures["engine_first_sentence_s"] > 0
    assert figures["request_to_first_word_s"] > 0
    assert figures["first_word_over_first_sentence"] > 0
    assert "fp32" in figures["first_word_engine"]
    # Loaded once, then a warm-up and two descriptions by the engine alone and two through the app, all
    # on one thread that is not this one: a second thread doing torch work would slow the first.
    assert len(threads) == 6
    assert len(set(threads)) == 1
    assert threads[0] != threading.main_thread().name


@pytest.mark.e2e
@pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool")
def test_hotkey_to_first_word_in_the_running_app(tiny_model_dir, tmp_path) -> None:
    # Each round waits for the gist and the text to be said in full, "played" in real time: at the
    # fastest rate a user may choose that is a few seconds, not half a minute. A warm-up round and one
    # counted round (new text in each) show the figures as well as more rounds would.
    settings = tmp_path / "settings.toml"
    settings.write_text(f"rate = {RATE_RANGE[1]}\n", encoding="utf-8")
    runtime = ("--device", "cpu", "--precision", "fp32", "--settings", str(settings))
    figures = measure_hotkey_to_word(str(tiny_model_dir), runtime, repeat=1)
    assert "skipped" not in figures, figures.get("skipped")
    assert figures["hotkey_to_first_word_s"] > 0
    assert figures["first_words_heard"].strip()  # the description, cut short by Stop
    if shutil.which("openbox"):  # the screen held a window of text, which OCR read after the gist
        assert figures["rounds_with_text_read_along"] == "1 of 1"
        assert figures["hotkey_to_text_s"] > figures["hotkey_to_first_word_s"]
        assert figures["text_words_said_that_are_on_the_screen"] >= 0.9


@pytest.mark.e2e
@pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool") and shutil.which("openbox")),
    reason="needs Xvfb, xdotool and openbox",
)
def test_read_the_text_is_timed_to_the_title_and_to_the_text(tiny_model_dir) -> None:
    figures = measure_read_text(str(tiny_model_dir), repeat=1)  # a warm-up round, then one counted
    assert "skipped" not in figures, figures.get("skipped")
    assert figures["read_text_first_words_heard"] == "Window: Quarterly report - Writer."
    assert 0 < figures["read_text_to_first_word_s"] < figures["read_text_to_text_s"]
    assert figures["read_text_words_heard"] >= 0.9


@pytest.mark.e2e
@pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")), reason="needs Xvfb and xdotool")
def test_start_up_idle_and_cue_are_measured(tiny_model_dir) -> None:
    figures = measure_app_process(str(tiny_model_dir), repeat=1, idle_s=0.5)
    assert figures["window_visible_s"] > 0
    assert figures["idle_cpu_percent"] >= 0
    assert figures["hotkey_to_cue_s"] > 0
