"""The running app on a private X display, as the app and start-up suites meet it: `assistant run`
started and ended, its window looked for, its cues and spoken words followed (`--speech-to`), and a
window full of known text under openbox for OCR to read."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

WINDOW_TITLE = "Assistant"


def visible_window(display: Any, title: str) -> bool:
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


def wait(condition: Callable[[], object], timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def said_ready(folder: Path) -> bool:
    """Whether "Ready." has been said: a first int8 start says first that it prepares the model."""
    return any(p.read_text(encoding="utf-8").strip() == "Ready." for p in folder.glob("[0-9]*.txt"))


def cue_times(folder: Path) -> list[float]:
    log = folder / "cues.log"
    return [float(line.split()[0]) for line in log.read_text().splitlines()] if log.exists() else []


@contextlib.contextmanager
def running_app(
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


def paint_screen(display: Any, shade: int) -> None:
    """Give the screen's background a new colour, so each capture is a new image (no cached features)."""
    root = display.screen().root
    root.change_attributes(background_pixel=(shade * 0x2F4B61) & 0xFFFFFF)
    root.clear_area(0, 0, 0, 0)
    display.sync()


def utterances(folder: Path) -> dict[int, Path]:
    return {int(p.stem): p for p in folder.glob("[0-9]*.wav") if p.stem.isdigit()}


TEXT_WINDOW_TITLE = "Quarterly report - Writer"


@contextlib.contextmanager
def desktop_with_text(display_name: str) -> Iterator[Callable[[], list[str]] | None]:
    """openbox and a window full of text (`assistant.bench.textwindow`) on the display. Yields a function
    that shows new text in it, focuses it and returns the lines now shown; None without openbox."""
    from assistant.bench.samples import text_screen
    from assistant.bench.textwindow import WINDOW_SIZE

    if not shutil.which("openbox"):
        yield None
        return
    env = dict(os.environ, DISPLAY=display_name, QT_QPA_PLATFORM="xcb")
    manager = subprocess.Popen(["openbox", "--sm-disable"], env=env, stderr=subprocess.DEVNULL)
    window = subprocess.Popen(
        [sys.executable, "-m", "assistant.bench.textwindow", TEXT_WINDOW_TITLE],
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


def follow_speech(
    folder: Path, before: int, done: Callable[[dict[int, tuple[float, str | None]]], bool], timeout: float
) -> dict[int, tuple[float, str | None]]:
    """The utterances after number `before`, each with the time it started (its .wav is written then,
    and rewritten only when it is cut short) and its text once it has ended (its .txt is written then),
    followed until `done` says so."""
    heard: dict[int, tuple[float, str | None]] = {}

    def look() -> bool:
        for number, wav in utterances(folder).items():
            if number <= before:
                continue
            started, text = heard.get(number, (wav.stat().st_mtime, None))
            if text is None and wav.with_suffix(".txt").exists():
                text = wav.with_suffix(".txt").read_text(encoding="utf-8").splitlines()[0]
            heard[number] = (started, text)
        return done(heard)

    wait(look, timeout, 0.01)
    return heard


def without_frame(text: str) -> str:
    """The words of "Text on it: … N more words; press Control Alt E to hear them." that were on the
    picture."""
    return re.sub(r" … \d+ more words?\b[^…]*$", "", text.removeprefix("Text on it:"))


def text_heard(heard: dict[int, tuple[float, str | None]]) -> tuple[float, str] | None:
    """When the text on the picture ("Text on it: …") started to be said, and what it said."""
    for number in sorted(heard):
        started, text = heard[number]
        if text is not None and text.startswith("Text on it"):
            return started, text
    return None
