"""Hotkey to first word on Wayland against X11, in the same run: the same app, model and window of text,
once on a headless sway 1.7 (captured by grim, wlroots' screencopy) and once on Xvfb with openbox
(captured by mss). On sway without the GlobalShortcuts portal the user's key runs `assistant trigger`
(sway's `bindsym`), so both sides are pressed the same way: `assistant trigger describe-screen`, timed
from its start to the first .wav of the description (written as it starts to be said)."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.bench import desktop
from assistant.bench.loading import off_this_thread, synthetic_checkpoint
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.bench.xvfb import XvfbError, start_xvfb

NOBODY = 65534
START_DEADLINE_S = 30.0
RATIO_LIMIT = 1.1
WIDTH, HEIGHT = 1280, 800  # the text window (assistant.bench.textwindow) fits, as on Xvfb's screen


class DesktopError(RuntimeError):
    """sway, or the app on one of the desktops, did not start; the message is one sentence."""


def as_user(command: list[str]) -> list[str]:
    """sway 1.7 runs headless only as an unprivileged user: drop root's rights where we have them."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def headless_sway_env(home: Path, runtime: Path, outputs: int = 1) -> dict[str, str]:
    """The environment sway 1.7 runs headless in, as an unprivileged user, with `outputs` monitors."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CURRENT_DESKTOP": "sway",
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_HEADLESS_OUTPUTS": str(outputs),
    }


@contextlib.contextmanager
def headless_sway() -> Iterator[dict[str, str]]:
    """A headless sway (pixman renderer, no XWayland) of WIDTH x HEIGHT; yields what a client needs.
    Its folder is a temporary one of its own: sway's user must reach it."""
    folder = Path(tempfile.mkdtemp(prefix="assistant-bench-sway-"))
    runtime = folder / "sway-run"
    runtime.mkdir(mode=0o700)
    config = folder / "sway-config"
    config.write_text(f"xwayland disable\noutput HEADLESS-1 resolution {WIDTH}x{HEIGHT}\n")
    if os.geteuid() == 0:
        for path in (folder, runtime, config):
            os.chown(path, NOBODY, NOBODY)
    env = headless_sway_env(folder, runtime)
    sway = subprocess.Popen(
        as_user(["sway", "-c", str(config)]), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        found = desktop.wait(
            lambda: (
                sway.poll() is not None
                or ((runtime / "wayland-1").exists() and any(runtime.glob("sway-ipc.*.sock")))
            ),
            START_DEADLINE_S,
        )
        if not found or sway.poll() is not None:
            raise DesktopError(
                "sway did not start headless; check that it is installed (dev.py's DEBIAN_TEST)."
            )
        yield {
            "WAYLAND_DISPLAY": "wayland-1",
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_SESSION_TYPE": "wayland",
            "XDG_CURRENT_DESKTOP": "sway",
            "SWAYSOCK": str(next(runtime.glob("sway-ipc.*.sock"))),
            "QT_QPA_PLATFORM": "wayland",
        }
    finally:
        _stop(sway)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def text_window(env: dict[str, str]) -> Iterator[Callable[[], None]]:
    """The bench's window of text, shown natively (the only window, so it has the focus); yields a
    function that shows new text in it, so no description is answered from memory."""
    window = subprocess.Popen(
        [sys.executable, "-m", "assistant.bench.textwindow", desktop.TEXT_WINDOW_TITLE],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert window.stdin is not None and window.stdout is not None
    window.stdout.readline()

    def next_text() -> None:
        assert window.stdin is not None and window.stdout is not None
        window.stdin.write("\n")
        window.stdin.flush()
        window.stdout.readline()

    try:
        yield next_text
    finally:
        _stop(window)


@contextlib.contextmanager
def app_on(
    env: dict[str, str], folder: Path, arguments: Sequence[str]
) -> Iterator[Callable[[], float | None]]:
    """`assistant run ARGUMENTS` in `env`, loaded; yields one round: `assistant trigger describe-screen`
    to the first .wav of the description (None where nothing was said), then speech stopped."""
    speech = folder / "speech"
    env = {
        **env,
        "ASSISTANT_RUNTIME_DIR": str(folder / "run"),
        "ASSISTANT_CONFIG_DIR": str(folder / "config"),
    }
    command = [sys.executable, "-m", "assistant", "run", *arguments, "--speech-to", str(speech)]
    app = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def trigger(action: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "assistant", "trigger", action], env=env, check=True, timeout=60
        )

    def one_round() -> float | None:
        before = max(desktop.utterances(speech), default=0)
        pressed = time.time()
        trigger("describe-screen")
        heard = desktop.follow_speech(speech, before, bool, 600)
        if not heard:
            return None
        trigger("stop")
        desktop.follow_speech(speech, before, lambda heard: all(t for _, t in heard.values()), 60)
        return heard[min(heard)][0] - pressed

    try:
        desktop.wait(lambda: desktop.said_ready(speech) or app.poll() is not None, 1200, 0.5)
        if not desktop.said_ready(speech):
            raise DesktopError(f"The app did not say it was ready on {env.get('XDG_SESSION_TYPE')}.")
        yield one_round
    finally:
        _stop(app)


def measure(model: str, runtime: Sequence[str], repeat: int) -> dict[str, Any]:
    """Hotkey to first word on sway (grim) and on Xvfb + openbox (mss), and their ratio. Both apps run
    at once and the rounds alternate, so a busy machine weighs on both sides alike."""
    needed = ("sway", "grim", "setpriv", "Xvfb", "openbox")
    if not all(shutil.which(name) for name in needed):
        return {"skipped": f"needs {', '.join(needed)} (dev.py's DEBIAN_TEST)"}
    arguments = ("--model", model, *runtime)
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SWAYSOCK")}
    times: dict[str, list[float]] = {"wayland": [], "x11": []}
    with (
        tempfile.TemporaryDirectory(prefix="assistant-bench-wayland-") as name,
        contextlib.ExitStack() as stack,
    ):
        folder = Path(name)
        try:
            xvfb = start_xvfb(WIDTH, HEIGHT)
            stack.callback(xvfb.stop)
            client = stack.enter_context(headless_sway())
            sides = {
                "wayland": {**base, **client},
                "x11": {**base, "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb", "XDG_SESSION_TYPE": "x11"},
            }
            manager = subprocess.Popen(
                ["openbox", "--sm-disable"], env=sides["x11"], stderr=subprocess.DEVNULL
            )
            stack.callback(_stop, manager)
            shown = {side: stack.enter_context(text_window(env)) for side, env in sides.items()}
            rounds = {
                side: stack.enter_context(app_on(env, folder / side, arguments))
                for side, env in sides.items()
            }
        except (XvfbError, DesktopError) as error:
            return {"skipped": str(error)}
        for round_ in range(max(1, repeat) + 1):  # the first round warms up and is not counted
            for side in ("wayland", "x11") if round_ % 2 else ("x11", "wayland"):
                shown[side]()
                time.sleep(1.0)  # the new text painted before the key, not during it
                took = rounds[side]()
                if took is None:
                    return {"skipped": f"no description was spoken after the trigger on {side}"}
                if round_:
                    times[side].append(took)
    wayland, x11 = statistics.median(times["wayland"]), statistics.median(times["x11"])
    return {
        "wayland_trigger_to_first_word_s": wayland,
        "x11_trigger_to_first_word_s": x11,
        "wayland_to_x11": wayland / x11,
        "capture": "sway 1.7 headless: grim (wlroots screencopy); X11: Xvfb + openbox: mss",
    }


SCOPE: Scope = "each precision"
KEY = "wayland"


def run(bench: Bench) -> dict[str, Any]:
    """The same app on sway and on X11; a synthetic model is first written as a checkpoint for it."""
    args, precision = bench.args, bench.precision
    print(f"\n== hotkey to first word, Wayland against X11 ({precision})", flush=True)
    runtime = ("--device", args.device, "--precision", precision)
    if args.model or args.synthetic:
        figures = measure(synthetic_checkpoint(args) if args.synthetic else args.model, runtime, args.repeat)
    else:
        from assistant.bench.synthetic import build_tiny_checkpoint

        with tempfile.TemporaryDirectory() as folder:
            off_this_thread(build_tiny_checkpoint, Path(folder))
            figures = measure(folder, runtime, args.repeat)
    show(figures)
    return figures


def targets(figures: dict[str, dict[str, Any]], bench: Bench) -> Iterator[Target]:
    for label, found in figures.items():
        if isinstance(found.get("wayland_to_x11"), float):
            yield target(
                f"[wayland {label}] wayland_to_x11",
                found["wayland_to_x11"],
                RATIO_LIMIT,
                "hotkey to first word on sway (grim) over the same on X11 (mss), same run",
            )
