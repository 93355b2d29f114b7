"""`assistant doctor`: what this computer can do, in plain words, and what to do about each problem."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import __version__
from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.engine.runtime import MachineInfo
    from assistant.speech.voices import Voice


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check what this computer can do",
        description="Check the graphics card, the model, speech, the display and disk space, and say what to fix.",
    )
    parser.add_argument("--model", metavar="ID_OR_PATH", help="the model to check (default: from settings)")
    parser.set_defaults(handler=run_doctor)


def _section(title: str, lines: list[str]) -> None:
    print(f"{title}:")
    for line in lines:
        print(f"  {line}")


def _safely(check: Callable[[], list[str]], what: str) -> list[str]:
    try:
        return check()
    except Exception as error:  # a broken part must not stop the other checks
        return [f"Problem: the {what} check failed ({type(error).__name__}: {error}). Reinstall the app."]


def check_settings() -> tuple[Settings, list[str]]:
    """The settings the other checks use, and a line on the file (and on what was wrong with it)."""
    from assistant.config import load_settings, settings_path

    settings, warning = load_settings()
    path = settings_path()
    if warning:
        return settings, [f"Problem: {warning}"]
    if path.exists():
        return settings, [f"Read from {path}."]
    return settings, [f"None saved yet, so the defaults are used; changing one creates {path}."]


def check_model(model: str, device: str, precision: str) -> list[str]:
    from assistant.engine.models import cached_path, count_parameters, folder_size, known_parameters
    from assistant.engine.runtime import GIB, choose_runtime, query_machine
    from assistant.errors import UserError

    lines = []
    machine = query_machine()
    if machine.gpu:
        gpu = machine.gpu
        lines.append(
            f"Graphics card: {gpu.name}, {gpu.free_bytes / GIB:.1f} GB free of {gpu.total_bytes / GIB:.1f} GB."
        )
        if not machine.bitsandbytes:
            lines.append(
                "8-bit and 4-bit on the graphics card: not available (pip install 'assistant[gpu]' adds them)."
            )
    else:
        import torch

        cuda = (
            "this PyTorch has no CUDA support" if torch.version.cuda is None else "no CUDA device is visible"
        )
        lines.append(f"Graphics card: none usable ({cuda}); the model runs on the processor.")
    path = cached_path(model)
    parameters = known_parameters(model)
    if path:
        try:
            parameters = count_parameters(path)
        except UserError as error:
            lines.append(f"Model {model}: problem. {error}")
        else:
            lines.append(f"Model {model}: downloaded, {folder_size(path) / GIB:.1f} GB in {path}.")
    else:
        lines.append(f"Model {model}: not downloaded. Run: assistant models download {model}")
    if parameters:
        try:
            runtime = choose_runtime(device, precision, machine, parameters)
            lines.append(f"Precision: {runtime.describe()}.")
        except UserError as error:
            lines.append(f"Precision: problem. {error}")
    else:
        lines.append("Precision: chosen when the model is loaded (its size is not known yet).")
    return [*lines, best_model_line(machine)]


def best_model_line(machine: MachineInfo) -> str:
    """The best known model that fits this machine's free memory and graphics card."""
    from assistant.engine.catalogue import best_fitting
    from assistant.engine.memory import free_memory_bytes

    best = best_fitting(free_memory_bytes(), machine.gpu.free_bytes if machine.gpu else None)
    if best is None:
        return "Best model for this computer: none of the known models fits its free memory; close some programs."
    model, where = best
    return f"Best model for this computer: {model.id} (--model {model.short}), on {where}; {model.facts()}."


def check_disk() -> list[str]:
    from huggingface_hub.constants import HF_HUB_CACHE

    folder = Path(HF_HUB_CACHE)
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 1024**3
    line = f"Model cache: {folder}, {free:.1f} GB free on its disk."
    if free < 10:
        line += " The default model needs about 16 GB to download: free some space or set HF_HOME to a bigger disk."
    return [line]


def check_speech(timeout: float = 15.0) -> list[str]:
    """Plain lines for `assistant doctor`: which engine speaks, its voices, how sound is played, or what is
    wrong and what to do."""
    from assistant.speech.backend import failure_message, unavailable_message

    found: list[str] = []

    def probe() -> None:
        try:
            found.extend(_probe_speech())
        except Exception as error:
            found.append(failure_message(error))

    thread = threading.Thread(target=probe, name="speech-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        reason = f"the speech engine did not answer within {timeout:.0f} seconds"
        return [unavailable_message(reason, "restart the computer's audio service or reinstall the voices")]
    return found


def check_screen_reader(settings: Settings) -> list[str]:
    """Which screen reader runs, how the app reaches it, and what "Speak with" makes of that."""
    from assistant.speech.screen_reader import describe_screen_reader

    lines = describe_screen_reader()
    choice = {
        "screen-reader": "the screen reader when one is running",
        "own-voice": "the app's own voice",
        "both": "the screen reader and the app's own voice",
    }[settings.speak_with]
    lines.append(f"Speak with: {choice} (Settings, or `assistant run --speak-with`).")
    return lines


def _probe_speech() -> list[str]:
    from assistant.speech.backend import SpeechUnavailable
    from assistant.speech.espeak import EspeakBackend, EspeakSynthesizer
    from assistant.speech.pyttsx3_backend import Pyttsx3Backend

    if sys.platform in ("win32", "darwin"):
        backend = Pyttsx3Backend()
        try:
            return _voice_lines(backend.description, backend.voices(), backend.default_voice())
        finally:
            backend.close()
    synth = EspeakSynthesizer()
    lines = _voice_lines(synth.version(), synth.voices(), synth.default_voice())
    try:
        lines.append(f"Sound: played with {EspeakBackend(synth).player}.")
    except SpeechUnavailable as error:
        lines.append(str(error))
    return lines


def _voice_lines(engine: str, voices: list[Voice], default: Voice | None) -> list[str]:
    lines = [f"Speech: {engine}.", f"Voices: {len(voices)} installed."]
    if default is not None:
        lines.append(f"Default voice: {default.name} ({default.id}).")
    if not voices:
        lines.append("No voices are installed; install a voice for your language to hear speech.")
    return lines


def check_speech_input(settings: Settings) -> list[str]:
    from assistant.speech.stt import describe_stt

    lines = describe_stt(settings=settings)
    try:
        from assistant.speech.microphone import input_devices

        devices = input_devices()
        lines.append(
            f"Microphones: {len(devices)} found"
            + (
                f", e.g. {devices[0][1]}."
                if devices
                else ". Spoken questions need one; typed questions still work."
            )
        )
    except Exception as error:
        lines.append(f"Microphones: cannot be listed ({error}). Spoken questions need a working microphone.")
    return lines


def check_display() -> list[str]:
    if sys.platform == "win32":
        return ["Display: Windows desktop; global hotkeys are available."]
    if sys.platform == "darwin":
        return [
            "Display: macOS. Global hotkeys need Accessibility and Input Monitoring permission "
            "(System Settings, Privacy and Security) for the terminal or the app."
        ]
    wayland, x11 = os.environ.get("WAYLAND_DISPLAY"), os.environ.get("DISPLAY")
    if wayland:
        return [f"Display: Wayland ({wayland}).", *wayland_paths()]
    if x11:
        return [f"Display: X11 ({x11}); global hotkeys and screen capture are available."]
    return [
        "Display: none found (DISPLAY is not set). The tray app needs a desktop session; describe and ask work anyway."
    ]


def wayland_paths() -> list[str]:
    """Each way to capture and to take hotkeys on this Wayland desktop, and the one in use."""
    from assistant.capture.backends import report
    from assistant.config import load_settings
    from assistant.hotkeys.backends import choose_backend

    lines = report(preferred=load_settings()[0].capture_backend)
    backend, notes = choose_backend()
    if backend is not None and backend.name == "portal":
        lines.append("Hotkeys through the desktop's GlobalShortcuts portal: in use.")
    return lines + notes


def run_doctor(args: argparse.Namespace) -> int:
    print(
        f"assistant {__version__}, Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )
    settings, lines = check_settings()
    _section("Settings", lines)
    model, device, precision = args.model or settings.model, settings.device, settings.precision
    _section("Model and graphics card", _safely(lambda: check_model(model, device, precision), "model"))
    _section("Disk", _safely(check_disk, "disk"))
    _section("Speech output", _safely(check_speech, "speech"))
    _section("Screen reader", _safely(lambda: check_screen_reader(settings), "screen reader"))
    _section("Spoken questions", _safely(lambda: check_speech_input(settings), "speech recognition"))
    _section("Display", _safely(check_display, "display"))
    return 0
