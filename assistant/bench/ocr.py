"""`assistant bench --suite ocr`: how long reading the text takes, how much is read right, and what
RapidOCR's own defaults and the other backend (onnxruntime, when OpenVINO runs the models) cost on the
same screens, measured in one process."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from PIL import Image

from assistant.bench.samples import (
    accuracy_samples,
    dialog_on_desktop,
    text_screen,
    window_alone,
    words_read_right,
)
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.ocr.reader import BACKENDS, TextReader

FULL_SCREEN = (1920, 1080)
TARGETS = (
    ("full_screen_s", 1.5, "the text of a full 1920x1080 screen of text read in at most 1.5 s"),
    ("one_window_s", 0.5, "the text of one window read in at most 0.5 s"),
    ("words_read_right", 0.9, "at least 9 words in 10 read right on the rendered screens"),
)


def median_seconds(
    work: Callable[[], object], repeat: int, before: Callable[[], None] = lambda: None
) -> float:
    times = []
    for _ in range(max(repeat, 1)):
        before()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _rapidocr_defaults(image: Image.Image) -> float:
    """Seconds RapidOCR takes with its own defaults (warm), for comparison."""
    import numpy as np
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "error"})
    pixels = np.asarray(image)
    engine(pixels)
    started = time.perf_counter()
    engine(pixels)
    return time.perf_counter() - started


def bench_ocr(
    repeat: int = 3, compare_defaults: bool = True, screen: tuple[int, int] = FULL_SCREEN
) -> dict[str, Any]:
    """Figures: full screen, one window, a window on a desktop, words read right; the backend that ran
    them, and the same figures with the other backend when there is one. The sample screens are
    `screen` pixels (the targets are for 1920x1080; a smaller one reads the same layouts for less)."""
    reader = TextReader()
    started = time.perf_counter()
    reader.warm_up()
    figures: dict[str, Any] = {"backend": reader.backend, "warm_up_s": time.perf_counter() - started}
    figures.update(_reading_figures(reader, repeat, screen))
    for other in BACKENDS if reader.backend != "onnxruntime" else ():
        if other != reader.backend:
            compared = TextReader(backend=other)
            compared.warm_up()
            for key, value in _reading_figures(compared, repeat, screen).items():
                if key != "words_on_the_samples":
                    figures[f"{other}_{key}"] = value
    if compare_defaults:
        full, dialog = text_screen(0, screen).image, dialog_on_desktop(size=screen).image
        figures["rapidocr_defaults_full_screen_s"] = _rapidocr_defaults(full)
        figures["rapidocr_defaults_window_on_desktop_s"] = _rapidocr_defaults(dialog)
    return figures


def _reading_figures(reader: TextReader, repeat: int, size: tuple[int, int]) -> dict[str, float]:
    screen = text_screen(0, size).image
    dialog = dialog_on_desktop(size=size)
    figures: dict[str, float] = {}
    # Each read starts with nothing remembered, as a screen never seen before; then the same screen again.
    figures["full_screen_s"] = median_seconds(lambda: reader.read(screen), repeat, reader.forget)
    figures["full_screen_read_again_s"] = median_seconds(lambda: reader.read(screen), repeat)
    window = window_alone(dialog).image
    figures["one_window_s"] = median_seconds(lambda: reader.read(window), repeat, reader.forget)
    figures["window_on_desktop_s"] = median_seconds(lambda: reader.read(dialog.image), repeat, reader.forget)
    right = total = 0
    reader.forget()
    for sample in accuracy_samples(size):
        found, expected = words_read_right(sample.lines, reader.read(sample.image).lines)
        right, total = right + found, total + expected
    figures["words_read_right"] = right / total
    figures["words_on_the_samples"] = total
    return figures


# -- the suite: `--suite ocr` ------------------------------------------------------------------------

SCOPE: Scope = "once"
KEY = "ocr"
BLANK_TARGET = ("blank_check_s", 0.2, "telling a blank 1920x1080 screen takes at most 0.2 s")


def run(bench: Bench) -> dict[str, Any]:
    from assistant.capture.blank import blank_colour

    repeat = bench.args.repeat
    figures = bench_ocr(repeat)
    blank = Image.new("RGB", (1920, 1080), "black")
    figures["blank_check_s"] = median_seconds(lambda: blank_colour(blank), repeat)
    print("\n== reading the text on the screen (RapidOCR)")
    show(figures)
    return figures


def targets(figures: dict[str, Any], bench: Bench) -> Iterator[Target]:
    for key, limit, meaning in (*TARGETS, BLANK_TARGET):
        yield target(f"[ocr] {key}", figures[key], limit, meaning, at_least=key == "words_read_right")
