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
from assistant.i18n import _, decimal, ngettext, pgettext
from assistant.text_safety import for_terminal

if TYPE_CHECKING:
    from assistant.engine.runtime import MachineInfo
    from assistant.speech.voices import Voice


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help=_("check what this computer can do"),
        description=_(
            "Check the graphics card, the model, speech, the display and disk space, and say what to fix."
        ),
    )
    parser.add_argument(
        "--model",
        metavar=pgettext("command-line placeholder", "ID_OR_PATH"),
        help=_("the model to check (default: from settings)"),
    )
    parser.set_defaults(handler=run_doctor)


def _section(title: str, lines: list[str]) -> None:
    # Translators: a section title of `assistant doctor`'s report, followed by its lines.
    print(_("{title}:").format(title=title))
    for line in lines:  # they quote settings, model names and paths, which anyone may have written
        print(f"  {for_terminal(line)}")


def _safely(check: Callable[[], list[str]], what: str) -> list[str]:
    # `what` names the check in "Problem: the {what} check failed", in the user's language.
    try:
        return check()
    except Exception as error:  # a broken part must not stop the other checks
        return [
            _("Problem: the {what} check failed ({kind}: {error}). Reinstall the app.").format(
                what=what, kind=type(error).__name__, error=error
            )
        ]


def check_settings() -> tuple[Settings, list[str]]:
    """The settings the other checks use, and a line on the file (and on what was wrong with it)."""
    from assistant.config import load_settings, settings_path

    settings, warning = load_settings()
    path = settings_path()
    if warning:
        return settings, [_("Problem: {warning}").format(warning=warning)]
    if path.exists():
        return settings, [_("Read from {path}.").format(path=path)]
    return settings, [
        _("None saved yet, so the defaults are used; changing one creates {path}.").format(path=path)
    ]


def check_language(settings: Settings) -> list[str]:
    """The language the command line speaks, and the app's where Settings chose another; where the
    desktop's language has no catalogue, the one sentence (in English) that says so."""
    from assistant.i18n import language, take_notice
    from assistant.speech.voices import language_name

    spoken = language()
    notice = take_notice()
    lines = [
        notice
        or _("Speaks {language}, the desktop's language.").format(
            language=language_name([spoken], spoken) or spoken
        )
    ]
    chosen = settings.interface_language
    if chosen:
        lines.append(
            # Translators: `assistant doctor`, where Settings chose the app's language.
            _("The app's windows and speech: {language}, chosen in Settings.").format(
                language=language_name([chosen], spoken) or chosen
            )
        )
    return lines


def check_model(model: str, device: str, precision: str) -> list[str]:
    from assistant.engine.models import cached_path, count_parameters, folder_size, known_parameters
    from assistant.engine.runtime import GIB, choose_runtime, query_machine
    from assistant.errors import UserError

    lines = []
    machine = query_machine()
    if machine.gpu:
        gpu = machine.gpu
        lines.append(
            _("Graphics card: {name}, {free_bytes} GB free of {total_bytes} GB.").format(
                name=gpu.name,
                free_bytes=decimal(gpu.free_bytes / GIB),
                total_bytes=decimal(gpu.total_bytes / GIB),
            )
        )
        if not machine.bitsandbytes:
            lines.append(
                _(
                    "8-bit and 4-bit on the graphics card: not available (pip install 'assistant[gpu]' adds them)."
                )
            )
    else:
        import torch

        cuda = (
            _("this PyTorch has no CUDA support")
            if torch.version.cuda is None
            else _("no CUDA device is visible")
        )
        lines.append(
            _("Graphics card: none usable ({cuda}); the model runs on the processor.").format(cuda=cuda)
        )
    path = cached_path(model)
    parameters = known_parameters(model)
    if path:
        try:
            parameters = count_parameters(path)
        except UserError as error:
            lines.append(_("Model {model}: problem. {error}").format(model=model, error=error))
        else:
            lines.append(
                _("Model {model}: downloaded, {folder_size} GB in {path}.").format(
                    model=model, folder_size=decimal(folder_size(path) / GIB), path=path
                )
            )
    else:
        lines.append(
            _("Model {model}: not downloaded. Run: assistant models download {model}").format(model=model)
        )
    if parameters:
        try:
            runtime = choose_runtime(device, precision, machine, parameters)
            lines.append(_("Precision: {describe}.").format(describe=runtime.describe()))
        except UserError as error:
            lines.append(_("Precision: problem. {error}").format(error=error))
    else:
        lines.append(_("Precision: chosen when the model is loaded (its size is not known yet)."))
    return [*lines, best_model_line(machine)]


def best_model_line(machine: MachineInfo) -> str:
    """The best known model that fits this machine's free memory and graphics card."""
    from assistant.engine.catalogue import best_fitting
    from assistant.engine.memory import free_memory_bytes

    best = best_fitting(free_memory_bytes(), machine.gpu.free_bytes if machine.gpu else None)
    if best is None:
        return _(
            "Best model for this computer: none of the known models fits its free memory; close some programs."
        )
    model, where = best
    return _("Best model for this computer: {id} (--model {short}), on {where}; {facts}.").format(
        id=model.id, short=model.short, where=where, facts=model.facts()
    )


def check_disk() -> list[str]:
    from huggingface_hub.constants import HF_HUB_CACHE

    folder = Path(HF_HUB_CACHE)
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 1024**3
    line = _("Model cache: {folder}, {free} GB free on its disk.").format(folder=folder, free=decimal(free))
    if free < 10:
        line += _(
            " The default model needs about 16 GB to download: free some space or set HF_HOME to a bigger disk."
        )
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
        reason = _("the speech engine did not answer within {timeout:.0f} seconds").format(timeout=timeout)
        # Translators: ends "Speech is not working (…). The text is shown instead; {remedy}."
        remedy = _("restart the computer's audio service or reinstall the voices")
        return [unavailable_message(reason, remedy)]
    return found


DOCTOR_BUS_TIMEOUT = 5.0  # seconds


def check_screen_reader(settings: Settings) -> list[str]:
    """Which screen reader runs, how the app reaches it, and what "Speak with" makes of that."""
    from assistant.speech import screen_reader_routes
    from assistant.speech.screen_reader import Lookout, describe_screen_reader

    # The accessibility bus gets longer than the app's one second: doctor is asked what is true, and a bus
    # slow to answer on a busy machine made it say no screen reader runs beside one that did.
    def a11y() -> bool:
        return screen_reader_routes.a11y_says_screen_reader_runs(timeout=DOCTOR_BUS_TIMEOUT)

    lines = describe_screen_reader(Lookout(a11y=a11y))
    choice = {
        "screen-reader": _("the screen reader when one is running"),
        "own-voice": _("the app's own voice"),
        "both": _("the screen reader and the app's own voice"),
    }[settings.speak_with]
    lines.append(_("Speak with: {choice} (Settings, or “assistant run --speak-with”).").format(choice=choice))
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
        lines.append(_("Sound: played with {player}.").format(player=EspeakBackend(synth).player))
    except SpeechUnavailable as error:
        lines.append(str(error))
    return lines


def _voice_lines(engine: str, voices: list[Voice], default: Voice | None) -> list[str]:
    lines = [
        _("Speech: {engine}.").format(engine=engine),
        _("Voices: {voices} installed.").format(voices=len(voices)),
    ]
    if default is not None:
        # named as Settings names it: its language in the app's language ("español (Latinoamérica)")
        lines.append(_("Default voice: {name} ({id}).").format(name=default.label(), id=default.id))
    if not voices:
        lines.append(_("No voices are installed; install a voice for your language to hear speech."))
    return lines


def check_speech_input(settings: Settings) -> list[str]:
    from assistant.speech.stt import describe_stt

    lines = describe_stt(settings=settings)
    try:
        from assistant.speech.microphone import input_devices

        devices = input_devices()
        if devices:
            # Translators: {count} microphones were found; {example} is the first one's name.
            found = ngettext(
                "Microphones: {count} found, e.g. {example}.",
                "Microphones: {count} found, e.g. {example}.",
                len(devices),
            )
            lines.append(found.format(count=len(devices), example=devices[0][1]))
        else:
            lines.append(_("Microphones: none found. Spoken questions need one; typed questions still work."))
    except Exception as error:
        lines.append(
            _("Microphones: cannot be listed ({error}). Spoken questions need a working microphone.").format(
                error=error
            )
        )
    return lines


def check_display() -> list[str]:
    if sys.platform == "win32":
        return [_("Display: Windows desktop; global hotkeys are available.")]
    if sys.platform == "darwin":
        return [
            _(
                "Display: macOS. Global hotkeys need Accessibility and Input Monitoring permission "
                "(System Settings, Privacy and Security) for the terminal or the app."
            )
        ]
    wayland, x11 = os.environ.get("WAYLAND_DISPLAY"), os.environ.get("DISPLAY")
    if wayland:
        return [_("Display: Wayland ({wayland}).").format(wayland=wayland), *wayland_paths()]
    if x11:
        return [_("Display: X11 ({x11}); global hotkeys and screen capture are available.").format(x11=x11)]
    return [
        _(
            "Display: none found (DISPLAY is not set). The tray app needs a desktop session; describe and ask work anyway."
        )
    ]


def wayland_paths() -> list[str]:
    """Each way to capture and to take hotkeys on this Wayland desktop, and the one in use."""
    from assistant.capture.backends import report
    from assistant.config import load_settings
    from assistant.hotkeys.backends import choose_backend

    lines = report(preferred=load_settings()[0].capture_backend)
    backend, notes = choose_backend()
    if backend is not None and backend.name == "portal":
        lines.append(_("Hotkeys through the desktop's GlobalShortcuts portal: in use."))
    return lines + notes


def run_doctor(args: argparse.Namespace) -> int:
    print(
        _("assistant {version}, Python {python_version}, {system} {machine}").format(
            version=__version__,
            python_version=platform.python_version(),
            system=platform.system(),
            machine=platform.machine(),
        )
    )
    settings, lines = check_settings()
    _section(_("Settings"), lines)
    _section(_("Language"), _safely(lambda: check_language(settings), pgettext("doctor check", "language")))
    model, device, precision = args.model or settings.model, settings.device, settings.precision
    _section(
        _("Model and graphics card"),
        _safely(lambda: check_model(model, device, precision), pgettext("doctor check", "model")),
    )
    _section(_("Disk"), _safely(check_disk, pgettext("doctor check", "disk")))
    _section(_("Speech output"), _safely(check_speech, pgettext("doctor check", "speech")))
    _section(
        _("Screen reader"),
        _safely(lambda: check_screen_reader(settings), pgettext("doctor check", "screen reader")),
    )
    _section(
        _("Spoken questions"),
        _safely(lambda: check_speech_input(settings), pgettext("doctor check", "speech recognition")),
    )
    _section(_("Display"), _safely(check_display, pgettext("doctor check", "display")))
    return 0
