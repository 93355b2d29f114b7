"""`measure_startup()`: how long a person waits for the model, in processes started as they start them.

- `assistant describe IMAGE` from its start to the description printed;
- `assistant run` (under a private Xvfb, speech to a folder) from its start to "Ready" spoken; in the
  same start, Ctrl+Alt+D pressed (xdotool) while the model loads: the time to the cue, and whether the
  description follows once the model is ready.

Each with the process's peak memory (VmHWM) and its resident memory (VmRSS) at that moment, both
counting the pages mapped from files. For int8 the first start (nothing prepared yet, in a cache folder
of the benchmark's own) and a later one are measured apart. Linux only (it reads /proc).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.bench.desktop import WINDOW_TITLE, cue_times, running_app, visible_window, wait
from assistant.bench.loading import on_gpu, synthetic_checkpoint
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.bench.xvfb import XvfbError, start_xvfb
from assistant.errors import UserError

GB = 1e9


def _memory(pid: int) -> dict[str, float]:
    """Peak and resident memory of a running process, in GB."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found["peak_gb" if key == "VmHWM" else "resident_gb"] = int(value.split()[0]) * 1024 / GB
    return found


def time_describe(model: str, runtime: list[str], image: Path, env: dict[str, str]) -> dict[str, float]:
    """`assistant describe IMAGE`: seconds to the printed description, and memory at that moment."""
    command = [sys.executable, "-m", "assistant", "describe", str(image), "--model", model, *runtime]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline() if process.stdout else ""
    figures = {"describe_s": time.perf_counter() - started}
    if line.strip():
        figures.update({f"describe_{key}": value for key, value in _memory(process.pid).items()})
    process.communicate()
    if not line.strip():
        return {"describe_failed_with_status": float(process.returncode)}
    return figures


def _said(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8").strip() for p in sorted(folder.glob("[0-9]*.txt"))]


def time_run(model: str, runtime: list[str], press_while_loading: bool = True) -> dict[str, float]:
    """`assistant run`: seconds to "Ready", memory then, and the hotkey cue while the model loads."""
    try:
        xvfb = start_xvfb()
    except XvfbError:
        return {"run_failed": 1.0}
    display_name = xvfb.display
    figures: dict[str, float] = {}
    try:
        from Xlib.display import Display

        display = Display(display_name)
        with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
            speech = Path(folder) / "speech"
            started = time.perf_counter()
            arguments = ("--model", model, *runtime, "--speech-to", str(speech))
            with running_app(display_name, folder, *arguments) as (app, env):
                if press_while_loading and wait(lambda: visible_window(display, WINDOW_TITLE), 30):
                    # Pressed until the hotkeys are registered (just after the window shows); the cue's
                    # delay is measured from the press that worked.
                    for _ in range(40):
                        pressed = time.time()
                        subprocess.run(["xdotool", "key", "ctrl+alt+d"], env=env, check=True)
                        if wait(lambda: cue_times(speech), 0.5):
                            figures["hotkey_cue_while_loading_s"] = cue_times(speech)[0] - pressed
                            figures["hotkeys_working_after_s"] = time.perf_counter() - started
                            break
                ready = wait(lambda: "Ready." in _said(speech) or app.poll() is not None, 1800, 0.05)
                if not ready or app.poll() is not None:
                    return {**figures, "run_failed": 1.0}
                figures["run_ready_s"] = time.perf_counter() - started
                figures.update({f"run_{key}": value for key, value in _memory(app.pid).items()})
                if "hotkey_cue_while_loading_s" in figures:
                    # The request made while loading is answered after "Ready".
                    answered = wait(lambda: len(_said(speech)[_said(speech).index("Ready.") :]) > 1, 600, 0.1)
                    figures["request_while_loading_answered"] = 1.0 if answered else 0.0
        display.close()
    finally:
        xvfb.stop()
    return figures


def measure_startup(
    model: str, precision: str, device: str = "cpu", image: Path | None = None
) -> dict[str, Any]:
    """First and later starts of `describe` and `run` for one precision (int8: first and later apart)."""
    if not sys.platform.startswith("linux"):
        return {"skipped": "needs Linux (/proc)"}
    runtime = ["--device", device, "--precision", precision]
    cache = tempfile.mkdtemp(prefix="assistant-bench-cache-")
    saved = os.environ.get("ASSISTANT_CACHE_DIR")
    os.environ["ASSISTANT_CACHE_DIR"] = cache  # the app under test inherits it; the user's is left alone
    has_display = bool(shutil.which("Xvfb") and shutil.which("xdotool"))
    try:
        with tempfile.TemporaryDirectory(prefix="assistant-bench-") as folder:
            if image is None:
                from assistant.bench.engine import sample_images

                image = Path(folder) / "screen.png"
                sample_images(1)[0].save(image)
            env = dict(os.environ)
            figures: dict[str, Any] = {}
            starts = ("first", "later") if precision == "int8" and device == "cpu" else ("any",)
            for start in starts:
                if start == "first":
                    shutil.rmtree(cache, ignore_errors=True)
                for key, value in time_describe(model, runtime, image, env).items():
                    figures[f"{start}_{key}"] = value
                if has_display:
                    if start == "first":
                        shutil.rmtree(cache, ignore_errors=True)
                    for key, value in time_run(model, runtime, press_while_loading=start != "first").items():
                        figures[f"{start}_{key}"] = value
            if not has_display:
                figures["run_skipped"] = "needs Xvfb and xdotool"
            return figures
    finally:
        if saved is None:
            os.environ.pop("ASSISTANT_CACHE_DIR", None)
        else:
            os.environ["ASSISTANT_CACHE_DIR"] = saved
        shutil.rmtree(cache, ignore_errors=True)


# (figure, limit, meaning); figures named `START_…` as measure_startup() names them.
TARGETS = (
    ("later_run_ready_s", 10.0, "a later int8 start of the app is ready within 10 s"),
    ("later_over_bf16_run_ready", 1.0, "a later int8 start is ready sooner than a bf16 start"),
    ("later_run_peak_over_resident", 1.0, "a later start's peak memory is at most its resident memory"),
    ("later_hotkey_cue_while_loading_s", 0.150, "the hotkey cue within 150 ms while the model loads"),
)


def compare(startup: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The ratios the targets name, from measure_startup()'s figures per precision."""
    int8, bf16 = startup.get("int8", {}), startup.get("bf16", {})
    ratios = {}
    if "later_run_ready_s" in int8 and "any_run_ready_s" in bf16:
        ratios["later_over_bf16_run_ready"] = int8["later_run_ready_s"] / bf16["any_run_ready_s"]
    for kind in ("run", "describe"):
        if f"later_{kind}_peak_gb" in int8:
            ratios[f"later_{kind}_peak_over_resident"] = (
                int8[f"later_{kind}_peak_gb"] / int8[f"later_{kind}_resident_gb"]
            )
    return ratios


# -- the suite: `--suite startup` --------------------------------------------------------------------

SCOPE: Scope = "before models"
KEY = "startup"


def run(bench: Bench) -> dict[str, Any]:
    """Each precision's start-up in processes of its own."""
    args = bench.args
    model = args.model or (synthetic_checkpoint(args) if args.synthetic else None)
    if model is None:
        raise UserError("The startup suite needs a model: give --model ID_OR_FOLDER or --synthetic ARCH.")
    device = "cuda" if on_gpu(args) else "cpu"
    precisions = [p.strip() for p in (args.compare or args.precision).split(",") if p.strip()]
    startup: dict[str, dict[str, Any]] = {}
    for precision in precisions:
        print(f"\n== start-up, {precision} on {device}", flush=True)
        startup[precision] = measure_startup(model, precision, device)
        show(startup[precision])
    startup["comparisons"] = compare(startup)
    show(startup["comparisons"])
    return startup


def targets(figures: dict[str, dict[str, Any]], bench: Bench) -> Iterator[Target]:
    found = {**figures.get("int8", {}), **figures.get("comparisons", {})}
    for key, limit, meaning in TARGETS:
        if isinstance(found.get(key), float):
            yield target(f"[startup] {key}", found[key], limit, meaning)
