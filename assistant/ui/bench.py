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

import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.engine.base import Engine
from assistant.ui.xvfb import XvfbError, start_xvfb

WINDOW_TITLE = "Assistant"


def _visible_window(display: Any, title: str) -> bool:
    from Xlib import X

    for window in display.screen().root.query_tree().children:
        try:
            name = window.get_wm_name()
            mapped = window.get_attributes().map_state == X.IsViewable
        except Exception:  # the window went away while we looked
            continue
        if mapped and isinstance(name, str) and name.startswith(title):
            return True
    return False


def _wait(condition: Callable[[], object], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def _said_ready(folder: Path) -> bool:
    """Whether "Ready." has been said: a first int8 start says first that it prepares the model."""
    return any(p.read_text(encoding="utf-8").strip() == "Ready." for p in folder.glob("[0-9]*.txt"))


def _cue_times(folder: Path) -> list[float]:
    log = folder / "cues.log"
    return [float(line.split()[0]) for line in log.read_text().splitlines()] if log.exists() else []


@contextlib.contextmanager
def _running_app(
    display_name: str, folder: str, *arguments: str
) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, str]]]:
    """`assistant run ARGUMENTS` on the display, with its settings and runtime files in `folder`;
    ended with SIGTERM (as a logout would) when the block is left. Yields the process and its environment."""
    env = dict(os.environ, DISPLAY=display_name, QT_QPA_PLATFORM="xcb")
    env.update(ASSISTANT_RUNTIME_DIR=f"{folder}/run", ASSISTANT_CONFIG_DIR=f"{folder}/config")
    command = [sys.executable, "-m", "assistant", "run", *arguments]
    app = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield app, env
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def _one_start(display: Any, display_name: str, model: str, idle_s: float) -> dict[str, float]:
    import psutil

    found: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        speech = Path(folder) / "speech"
        started = time.perf_counter()
        with _running_app(display_name, folder, "--model", model, "--speech-to", str(speech)) as (app, env):
            if _wait(lambda: _visible_window(display, WINDOW_TITLE), 30):
                found["visible"] = time.perf_counter() - started
            if not _wait(lambda: _said_ready(speech), 120, 0.1):
                return found
            process = psutil.Process(app.pid)
            before = process.cpu_times()
            time.sleep(idle_s)
            after = process.cpu_times()
            busy = (after.user + after.system) - (before.user + before.system)
            found["idle"] = 100.0 * busy / idle_s
            pressed = time.time()
            subprocess.run(["xdotool", "key", "ctrl+alt+d"], env=env, check=True)
            if _wait(lambda: _cue_times(speech), 10):
                found["cue"] = _cue_times(speech)[0] - pressed
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


def _paint_screen(display: Any, shade: int) -> None:
    """Give the screen's background a new colour, so each capture is a new image (no cached features)."""
    root = display.screen().root
    root.change_attributes(background_pixel=(shade * 0x2F4B61) & 0xFFFFFF)
    root.clear_area(0, 0, 0, 0)
    display.sync()


def _utterances(folder: Path) -> dict[int, Path]:
    return {int(p.stem): p for p in folder.glob("[0-9]*.wav") if p.stem.isdigit()}


TEXT_WINDOW_TITLE = "Quarterly report - Writer"


@contextlib.contextmanager
def _desktop_with_text(display_name: str) -> Iterator[Callable[[], list[str]] | None]:
    """openbox and a window full of text (`assistant.ui.benchwindow`) on the display. Yields a function
    that shows new text in it, focuses it and returns the lines now shown; None without openbox."""
    from assistant.ocr.samples import text_screen
    from assistant.ui.benchwindow import WINDOW_SIZE

    if not shutil.which("openbox"):
        yield None
        return
    env = dict(os.environ, DISPLAY=display_name, QT_QPA_PLATFORM="xcb")
    manager = subprocess.Popen(["openbox", "--sm-disable"], env=env, stderr=subprocess.DEVNULL)
    window = subprocess.Popen(
        [sys.executable, "-m", "assistant.ui.benchwindow", TEXT_WINDOW_TITLE],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert window.stdin is not None and window.stdout is not None
    seed = [1]
    window.stdout.readline()  # "shown": the first text, seed 1

    def next_text() -> list[str]:
        assert window.stdin is not None and window.stdout is not None
        window.stdin.write("\n")
        window.stdin.flush()
        window.stdout.readline()
        seed[0] += 1
        subprocess.run(
            ["xdotool", "search", "--sync", "--name", TEXT_WINDOW_TITLE, "windowactivate", "--sync"],
            env=env,
            check=True,
            timeout=10,
            stdout=subprocess.DEVNULL,
        )
        return list(text_screen(seed[0], size=WINDOW_SIZE, font_size=15).lines)

    try:
        yield next_text
    finally:
        for process in (window, manager):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _follow_speech(
    folder: Path, before: int, done: Callable[[dict[int, tuple[float, str | None]]], bool], timeout: float
) -> dict[int, tuple[float, str | None]]:
    """The utterances after number `before`, each with the time it started (its .wav is written then,
    and rewritten only when it is cut short) and its text once it has ended (its .txt is written then),
    followed until `done` says so."""
    heard: dict[int, tuple[float, str | None]] = {}

    def look() -> bool:
        for number, wav in _utterances(folder).items():
            if number <= before:
                continue
            started, text = heard.get(number, (wav.stat().st_mtime, None))
            if text is None and wav.with_suffix(".txt").exists():
                text = wav.with_suffix(".txt").read_text(encoding="utf-8").splitlines()[0]
            heard[number] = (started, text)
        return done(heard)

    _wait(look, timeout, 0.01)
    return heard


def _without_frame(text: str) -> str:
    """The words of "Text on it: … N more words; press Control Alt E to hear them." that were on the
    picture."""
    return re.sub(r" … \d+ more words?\b[^…]*$", "", text.removeprefix("Text on it:"))


def _text_heard(heard: dict[int, tuple[float, str | None]]) -> tuple[float, str] | None:
    """When the text on the picture ("Text on it: …") started to be said, and what it said."""
    for number in sorted(heard):
        started, text = heard[number]
        if text is not None and text.startswith("Text on it"):
            return started, text
    return None


def measure_hotkey_to_word(model: str, runtime: Sequence[str] = (), repeat: int = 3) -> dict[str, Any]:
    """`assistant run --model MODEL RUNTIME…` (e.g. `--precision int8`) under Xvfb, as a user runs it:
    Ctrl+Alt+D (pressed with xdotool) to the first spoken word of the description. `--speech-to` creates
    each utterance's NNNN.wav as it starts to "play", so the file's time is the first word's. With
    openbox, the screen holds a window full of text (new text each round, so nothing is cached), so OCR
    reads it along; the round then waits for that text to be said ("Text on it: …") and counts its words.
    Without openbox the screen is a plain colour, changed each round. Ctrl+Alt+S then cuts speech short
    for the next round. One more round than `repeat` is run: the first, a warm-up, is not counted."""
    from Xlib.display import Display

    from assistant.ocr.samples import words_read_right

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
            _desktop_with_text(display_name) as next_text,
        ):
            speech = Path(folder) / "speech"
            held_text = next_text is not None
            arguments = ("--model", model, *runtime, "--speech-to", str(speech))
            with _running_app(display_name, folder, *arguments) as (app, env):
                # "Ready." is said once the model has loaded (a first int8 start says first that it prepares).
                _wait(lambda: _said_ready(speech) or app.poll() is not None, 1200, 0.5)
                if app.poll() is not None:
                    return {"skipped": f"the app stopped while loading (exit status {app.returncode})"}
                if not _said_ready(speech):
                    return {"skipped": "the app did not say it was ready"}
                for round_ in range(repeat + 1):  # the first round warms up and is not counted
                    lines = next_text() if next_text is not None else []
                    if next_text is None:
                        _paint_screen(display, round_ + 1)
                    time.sleep(1.0)  # the new text painted and the focus moved before the key, not during it
                    before = max(_utterances(speech), default=0)
                    pressed = time.time()
                    subprocess.run(["xdotool", "key", "ctrl+alt+d"], env=env, check=True)
                    heard = _follow_speech(speech, before, bool, 600)
                    if not heard:
                        break
                    if lines:  # the gist, then the text OCR read along
                        heard = _follow_speech(
                            speech, before, lambda heard: _text_heard(heard) is not None, 600
                        )
                    subprocess.run(["xdotool", "key", "ctrl+alt+s"], env=env, check=True)
                    heard = _follow_speech(
                        speech, before, lambda heard: all(t for _, t in heard.values()), 60
                    )
                    said = heard[min(heard)][1] or ""
                    text = _text_heard(heard)
                    if round_:
                        times.append(heard[min(heard)][0] - pressed)
                        if text is not None:
                            text_times.append(text[0] - pressed)
                            # Up to the word limit is said: of those words, how many are on the screen.
                            found, expected = words_read_right([_without_frame(text[1])], lines)
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
    openbox and a window full of text (`assistant.ui.benchwindow`) focused; Ctrl+Alt+T pressed with
    xdotool to the first spoken word (the window's title) and to the first word of its text, and how
    many of the window's words were heard. The window shows new text each round, so nothing is read
    from memory; one more round than `repeat` is run, the first a warm-up that is not counted."""
    from assistant.ocr.samples import words_read_right

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
            _desktop_with_text(xvfb.display) as next_text,
        ):
            speech = Path(folder) / "speech"
            arguments = ("--model", model, "--speech-to", str(speech))
            with _running_app(xvfb.display, folder, *arguments) as (app, env):
                _wait(lambda: _said_ready(speech) or app.poll() is not None, 300, 0.1)
                if next_text is None or not _said_ready(speech):
                    return {"skipped": "the app did not say it was ready"}
                for round_ in range(repeat + 1):
                    lines = next_text()
                    before = max(_utterances(speech), default=0)
                    pressed = time.time()
                    subprocess.run(["xdotool", "key", "ctrl+alt+t"], env=env, check=True)
                    # The title, then the text: once the text starts, it is cut short and both are written.
                    heard = _follow_speech(speech, before, lambda heard: len(heard) >= 2, 120)
                    subprocess.run(["xdotool", "key", "ctrl+alt+s"], env=env, check=True)
                    heard = _follow_speech(
                        speech, before, lambda heard: all(text for _, text in heard.values()), 30
                    )
                    if not heard:
                        break
                    title = heard[min(heard)][1] or ""
                    text = _text_heard(heard)
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


def measure_first_word(load: Callable[[], Engine], image: Image.Image, repeat: int = 3) -> dict[str, Any]:
    """Hotkey to first spoken word through the controller, against the engine's own first sentence.

    As in the app, `load` builds the engine on the model thread, and both figures are taken there:
    torch's OpenMP gives each thread that computes its own pool of helper threads, and a second pool
    on a 2-core machine makes both spin less and wait more (about 15 % slower here). Run with a
    QApplication (offscreen is fine) already created, and no torch work done on this thread.
    """
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from assistant.config import Settings
    from assistant.speech.sentences import SentenceStream
    from assistant.speech.speaker import create_speaker
    from assistant.ui.controller import Controller
    from assistant.ui.earcons import Earcons

    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
        spoke = threading.Event()

        def on_event(kind: str, number: int, text: str) -> None:
            if kind == "started":
                spoke.set()

        controller = Controller(Settings(announce_ready=False), None, Earcons(False), lambda spec, _: load())
        speaker = create_speaker(speech_to=Path(folder), on_event=on_event)
        controller.attach_speaker(speaker)
        controller.start()
        _pump_until(lambda: bool(controller.engine_summary), 1200)
        loaded = controller.worker.engine
        if loaded is None:
            controller.shutdown()
            return {"skipped": f"the model did not load: {controller.status}"}
        engine: Engine = loaded
        summary = engine.summary

        def fresh() -> None:  # each description starts with the image unseen
            getattr(engine, "clear_feature_cache", lambda: None)()

        def engine_first_sentence() -> float:
            fresh()
            stream, first = SentenceStream(), list[float]()
            started = time.perf_counter()

            def on_text(text: str) -> None:
                if not first and stream.feed(text):
                    first.append(time.perf_counter() - started)

            engine.describe(image, on_text=on_text)
            return first[0] if first else time.perf_counter() - started

        _on_thread(controller.worker, engine_first_sentence)  # a warm-up, as the app's side has below
        engine_times = [_on_thread(controller.worker, engine_first_sentence) for _ in range(repeat)]
        app_times: list[float] = []
        for _ in range(repeat):
            fresh()
            spoke.clear()
            started = time.perf_counter()
            controller.describe(image)
            _pump_until(spoke.is_set, 600)
            app_times.append(time.perf_counter() - started)
            controller.stop()
            _pump_until(lambda: not speaker.busy, 10)
        controller.shutdown()
        controller.worker.engine = None  # free the model before the caller builds another
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
    engine_s, app_s = statistics.median(engine_times), statistics.median(app_times)
    return {
        "engine_first_sentence_s": engine_s,
        "request_to_first_word_s": app_s,
        "first_word_over_first_sentence": app_s / engine_s,
        "first_word_engine": summary,
    }


def _on_thread(owner: Any, job: Callable[[], Any]) -> Any:
    """Run `job` on the thread of the QObject `owner` and return its result, pumping events meanwhile."""
    from PySide6.QtCore import QObject, Signal, Slot

    class Runner(QObject):
        run = Signal()

        def __init__(self) -> None:
            super().__init__()
            self.result: list[Any] = []
            self.run.connect(self.work)  # queued once the runner lives on the other thread

        @Slot()
        def work(self) -> None:
            self.result.append(job())

    runner = Runner()
    runner.moveToThread(owner.thread())
    runner.run.emit()
    _pump_until(lambda: bool(runner.result), 1200)
    runner.deleteLater()
    return runner.result[0]


def _pump_until(condition: Callable[[], object], timeout: float) -> bool:
    """Run the Qt event loop until `condition()` holds, sleeping between events as the app does.

    Busy polling here would take processor time from the model thread and distort the figures.
    """
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    deadline = time.monotonic() + timeout
    ticker = QTimer()
    ticker.start(20)  # wake up now and then to check `condition` and the deadline
    try:
        while not condition():
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(
                QEventLoop.ProcessEventsFlag.AllEvents | QEventLoop.ProcessEventsFlag.WaitForMoreEvents
            )
    finally:
        ticker.stop()
    return True


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
