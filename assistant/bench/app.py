"""`bench_app()`: the app as a user meets it, measured.

- start to window visible: `assistant run` is started under a private Xvfb (no system tray there,
  so the fallback window is what appears; the tray icon is shown at the same point of start-up);
- idle CPU: the app's processor use over a few seconds after "Ready", with nothing to do;
- hotkey to cue: Ctrl+Alt+D pressed with xdotool (its own start-up included) to the cue, which
  `--speech-to` logs with a time stamp instead of playing;
- "Read the text": Ctrl+Alt+T with a window full of text focused (Xvfb + openbox) to its first spoken
  word (the window's title) and to the first word of the text;
- hotkey to first spoken word, against the engine's own time to its first sentence on the same
  image: the controller's whole path (request → model thread → sentences → speech thread) with the
  engine given, in this process, on Qt's offscreen platform.

Figures are medians of `repeat` runs. Needs Xvfb and xdotool for the first three.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.bench import desktop
from assistant.bench.desktop import WINDOW_TITLE
from assistant.bench.firstword import measure_first_word
from assistant.bench.loading import off_this_thread, synthetic_checkpoint
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.bench.xvfb import XvfbError, start_xvfb
from assistant.engine.base import Engine

__all__ = [
    "TARGETS",
    "bench_app",
    "measure_app_process",
    "measure_first_word",
    "measure_hotkey_to_word",
    "measure_read_text",
]


def _one_start(display: Any, display_name: str, model: str, idle_s: float) -> dict[str, float]:
    import psutil

    found: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        speech = Path(folder) / "speech"
        started = time.perf_counter()
        with desktop.running_app(display_name, folder, "--model", model, "--speech-to", str(speech)) as (
            app,
            env,
        ):
            if desktop.wait(lambda: desktop.visible_window(display, WINDOW_TITLE), 30):
                found["visible"] = time.perf_counter() - started
            if not desktop.wait(lambda: desktop.said_ready(speech), 120, 0.1):
                return found
            process = psutil.Process(app.pid)
            before = process.cpu_times()
            time.sleep(idle_s)
            after = process.cpu_times()
            busy = (after.user + after.system) - (before.user + before.system)
            found["idle"] = 100.0 * busy / idle_s
            pressed = time.time()
            subprocess.run(["xdotool", "key", "ctrl+alt+d"], env=env, check=True)
            if desktop.wait(lambda: desktop.cue_times(speech), 10):
                found["cue"] = desktop.cue_times(speech)[0] - pressed
    return found


def measure_app_process(model: str, repeat: int = 3, idle_s: float = 3.0) -> dict[str, float | str]:
    """Start `assistant run` `repeat` times under Xvfb: window visible, idle CPU, hotkey to cue."""
    from Xlib.display import Display

    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        return {"skipped": "needs Xvfb and xdotool"}
    try:
        xvfb = start_xvfb()
    except XvfbError as error:
        return {"skipped": str(error)}
    display_name = xvfb.display
    visible: list[float] = []
    idle: list[float] = []
    cue: list[float] = []
    try:
        display = Display(display_name)
        for _ in range(repeat):
            run = _one_start(display, display_name, model, idle_s)
            for key, found in (("visible", visible), ("idle", idle), ("cue", cue)):
                if key in run:
                    found.append(run[key])
        display.close()
    finally:
        xvfb.stop()
    figures: dict[str, float | str] = {}
    if visible:
        figures["window_visible_s"] = statistics.median(visible)
    if idle:
        figures["idle_cpu_percent"] = statistics.median(idle)
    if cue:
        figures["hotkey_to_cue_s"] = statistics.median(cue)
    return figures


def measure_hotkey_to_word(model: str, runtime: Sequence[str] = (), repeat: int = 3) -> dict[str, Any]:
    """`assistant run --model MODEL RUNTIME…` (e.g. `--precision int8`) under Xvfb, as a user runs it:
    Ctrl+Alt+D (pressed with xdotool) to the first spoken word of the description. `--speech-to` creates
    each utterance's NNNN.wav as it starts to "play", so the file's time is the first word's. With
    openbox, the screen holds a window full of text (new text each round, so nothing is cached), so OCR
    reads it along; the round then waits for that text to be said ("Text on it: …") and counts its words.
    Without openbox the screen is a plain colour, changed each round. Ctrl+Alt+S then cuts speech short
    for the next round. One more round than `repeat` is run: the first, a warm-up, is not counted."""
    from Xlib.display import Display

    from assistant.bench.samples import words_read_right

    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        return {"skipped": "needs Xvfb and xdotool"}
    try:
        xvfb = start_xvfb()
    except XvfbError as error:
        return {"skipped": str(error)}
    display_name = xvfb.display
    times: list[float] = []
    text_times: list[float] = []
    right = total = 0
    said = ""
    held_text = False
    try:
        display = Display(display_name)
        with (
            tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder,
            desktop.desktop_with_text(display_name) as next_text,
        ):
            speech = Path(folder) / "speech"
            held_text = next_text is not None
            arguments = ("--model", model, *runtime, "--speech-to", str(speech))
            with desktop.running_app(display_name, folder, *arguments) as (app, env):
                # "Ready." is said once the model has loaded (a first int8 start says first that it prepares).
                desktop.wait(lambda: desktop.said_ready(speech) or app.poll() is not None, 1200, 0.5)
                if app.poll() is not None:
                    return {"skipped": f"the app stopped while loading (exit status {app.returncode})"}
                if not desktop.said_ready(speech):
                    return {"skipped": "the app did not say it was ready"}
                for round_ in range(repeat + 1):  # the first round warms up and is not counted
                    lines = next_text() if next_text is not None else []
                    if next_text is None:
                        desktop.paint_screen(display, round_ + 1)
                    time.sleep(1.0)  # the new text painted and the focus moved before the key, not during it
                    before = max(desktop.utterances(speech), default=0)
                    pressed = time.time()
                    subprocess.run(["xdotool", "key", "ctrl+alt+d"], env=env, check=True)
                    heard = desktop.follow_speech(speech, before, bool, 600)
                    if not heard:
                        break
                    if lines:  # the gist, then the text OCR read along
                        heard = desktop.follow_speech(
                            speech, before, lambda heard: desktop.text_heard(heard) is not None, 600
                        )
                    subprocess.run(["xdotool", "key", "ctrl+alt+s"], env=env, check=True)
                    heard = desktop.follow_speech(
                        speech, before, lambda heard: all(t for _, t in heard.values()), 60
                    )
                    said = heard[min(heard)][1] or ""
                    text = desktop.text_heard(heard)
                    if round_:
                        times.append(heard[min(heard)][0] - pressed)
                        if text is not None:
                            text_times.append(text[0] - pressed)
                            # Up to the word limit is said: of those words, how many are on the screen.
                            found, expected = words_read_right([desktop.without_frame(text[1])], lines)
                            right, total = right + found, total + expected
        display.close()
    finally:
        xvfb.stop()
    if not times:
        return {"skipped": "no description was spoken after the hotkey"}
    figures: dict[str, Any] = {
        "hotkey_to_first_word_s": statistics.median(times),
        "first_words_heard": said[:60],
    }
    if held_text:
        figures["screen_held_text"] = "yes, a window full of text; OCR read it along"
        figures["rounds_with_text_read_along"] = f"{len(text_times)} of {len(times)}"
    if text_times:
        figures["hotkey_to_text_s"] = statistics.median(text_times)
        figures["text_words_said_that_are_on_the_screen"] = right / total if total else 0.0
    return figures


def measure_read_text(model: str, repeat: int = 3) -> dict[str, Any]:
    """ "Read the text" as a user meets it: `assistant run --model MODEL --speech-to DIR` under Xvfb with
    openbox and a window full of text (`assistant.bench.textwindow`) focused; Ctrl+Alt+T pressed with
    xdotool to the first spoken word (the window's title) and to the first word of its text, and how
    many of the window's words were heard. The window shows new text each round, so nothing is read
    from memory; one more round than `repeat` is run, the first a warm-up that is not counted."""
    from assistant.bench.samples import words_read_right

    if not (shutil.which("Xvfb") and shutil.which("xdotool") and shutil.which("openbox")):
        return {"skipped": "needs Xvfb, xdotool and openbox"}
    try:
        xvfb = start_xvfb()
    except XvfbError as error:
        return {"skipped": str(error)}
    first_word: list[float] = []
    text_word: list[float] = []
    right = total = 0
    title = ""
    try:
        with (
            tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder,
            desktop.desktop_with_text(xvfb.display) as next_text,
        ):
            speech = Path(folder) / "speech"
            arguments = ("--model", model, "--speech-to", str(speech))
            with desktop.running_app(xvfb.display, folder, *arguments) as (app, env):
                desktop.wait(lambda: desktop.said_ready(speech) or app.poll() is not None, 300, 0.1)
                if next_text is None or not desktop.said_ready(speech):
                    return {"skipped": "the app did not say it was ready"}
                for round_ in range(repeat + 1):
                    lines = next_text()
                    before = max(desktop.utterances(speech), default=0)
                    pressed = time.time()
                    subprocess.run(["xdotool", "key", "ctrl+alt+t"], env=env, check=True)
                    # The title, then the text: once the text starts, it is cut short and both are written.
                    heard = desktop.follow_speech(speech, before, lambda heard: len(heard) >= 2, 120)
                    subprocess.run(["xdotool", "key", "ctrl+alt+s"], env=env, check=True)
                    heard = desktop.follow_speech(
                        speech, before, lambda heard: all(text for _, text in heard.values()), 30
                    )
                    if not heard:
                        break
                    title = heard[min(heard)][1] or ""
                    text = desktop.text_heard(heard)
                    if round_:
                        first_word.append(heard[min(heard)][0] - pressed)
                        if text is not None:
                            text_word.append(text[0] - pressed)
                            found, expected = words_read_right(lines, [text[1]])
                            right, total = right + found, total + expected
    finally:
        xvfb.stop()
    if not first_word:
        return {"skipped": "nothing was spoken after Ctrl+Alt+T"}
    figures: dict[str, Any] = {"read_text_to_first_word_s": statistics.median(first_word)}
    if text_word:
        figures["read_text_to_text_s"] = statistics.median(text_word)
        figures["read_text_words_heard"] = right / total if total else 0.0
    figures["read_text_first_words_heard"] = title[:60]
    return figures


def bench_app(
    model: str,
    load: Callable[[], Engine] | None = None,
    image: Image.Image | None = None,
    repeat: int = 3,
    full_model: str | None = None,
    runtime: Sequence[str] = (),
) -> dict[str, Any]:
    """All the app's figures. `model` (a folder) is what `assistant run` loads for the start-up figures;
    `load` builds the engine behind the first-word figures (without it, `model` is loaded). With
    `full_model`, the first word is also timed from the hotkey in `assistant run --model full_model`
    (with the `runtime` options, such as `--precision int8`), and that is the figure compared with the
    engine's own first sentence."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    figures: dict[str, Any] = dict(measure_app_process(model, repeat))
    figures.update(measure_read_text(model, repeat))  # no model is used: the small one will do
    app = QApplication.instance() or QApplication([])
    if load is None:
        from assistant.engine import load_engine

        def load() -> Engine:
            return load_engine(model, progress=False)

    if image is None:
        image = Image.new("RGB", (1280, 800), (235, 235, 240))
    # The app's own process first, while this one holds no model: two full-size models may not fit.
    in_app = measure_hotkey_to_word(full_model, runtime, repeat) if full_model else {}
    figures.update(measure_first_word(load, image, repeat))
    del app
    figures.update(in_app)
    if "hotkey_to_first_word_s" in in_app:
        ratio = in_app["hotkey_to_first_word_s"] / figures["engine_first_sentence_s"]
        figures["first_word_over_first_sentence"] = ratio
    return figures


TARGETS = (
    ("window_visible_s", 1.0, "tray icon (or fallback window) visible within 1.0 s of `assistant run`"),
    ("hotkey_to_cue_s", 0.150, "hotkey to first cue within 150 ms"),
    ("idle_cpu_percent", 1.0, "the app idles at 0% CPU (under 1% measured)"),
    ("read_text_to_first_word_s", 1.0, '"Read the text" (Ctrl+Alt+T) speaks its first word within 1 s'),
    (
        "first_word_over_first_sentence",
        1.1,
        "hotkey (or, without a full model, the describe request) to first spoken word at most 1.1x "
        "the engine's first sentence",
    ),
)


# -- the suite: `--suite app` ------------------------------------------------------------------------

SCOPE: Scope = "each precision"
KEY = "app"


def run(bench: Bench) -> dict[str, Any]:
    """The app's own figures. The engine behind the first word is loaded on the app's model thread, as
    for users; a synthetic model is first written as a checkpoint, so `assistant run` can load it too."""
    from assistant.engine import load_engine

    args, precision = bench.args, bench.precision
    print(f"\n== the app ({precision})", flush=True)
    full_model = synthetic_checkpoint(args) if args.synthetic else args.model

    def load() -> Engine:
        return load_engine(full_model, device=args.device, precision=precision, progress=False)

    runtime = ("--device", args.device, "--precision", precision)  # the same for `assistant run`
    if args.model:
        figures = bench_app(args.model, load=load, repeat=args.repeat, full_model=full_model, runtime=runtime)
    else:
        from assistant.bench.synthetic import build_tiny_checkpoint

        with tempfile.TemporaryDirectory() as folder:
            off_this_thread(build_tiny_checkpoint, Path(folder))
            figures = bench_app(folder, load=load, repeat=args.repeat, full_model=full_model, runtime=runtime)
    show(figures)
    return figures


def targets(figures: dict[str, dict[str, Any]], bench: Bench) -> Iterator[Target]:
    for label, found in figures.items():
        for key, limit, meaning in TARGETS:
            if isinstance(found.get(key), float):
                yield target(f"[app {label}] {key}", found[key], limit, meaning)
