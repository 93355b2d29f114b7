"""`assistant transcribe AUDIO`: print the words spoken in a recording."""

from __future__ import annotations

import argparse

from assistant.cli import say_error
from assistant.i18n import _, pgettext


def add_stt_arguments(parser: argparse.ArgumentParser) -> None:
    """--stt-model and --language, shared with `assistant ask --audio`."""
    parser.add_argument(
        "--stt-model",
        metavar=pgettext("command-line placeholder", "ID_OR_PATH"),
        help=_(
            "speech-recognition model (default: the settings', tiny.en, or tiny for a language other than "
            "English): base.en, small, … large-v3, or a local CTranslate2 folder"
        ),
    )
    parser.add_argument(
        "--language",
        metavar="L",
        help=_("language spoken, such as en or de, or auto (default: the settings, else the app's language)"),
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "transcribe",
        help=_("print the words spoken in a recording"),
        description=_(
            "Transcribes a recording (WAV, FLAC, OGG or MP3, at most a minute) with faster-whisper, "
            "on this computer, and prints the text."
        ),
    )
    parser.add_argument(
        "audio", metavar=pgettext("command-line placeholder", "AUDIO"), help=_("the recording")
    )
    add_stt_arguments(parser)
    parser.set_defaults(handler=run_transcribe)


def stt_choices(args: argparse.Namespace) -> tuple[str, str | None]:
    """The speech-recognition model and language for a command: its options, else the settings'.

    Anything wrong with the settings file (which is then moved aside) is said on stderr.
    """
    from assistant.speech.stt import default_stt_language, default_stt_model

    settings = None
    if args.stt_model is None or args.language is None:
        from assistant.config import load_settings

        settings, warning = load_settings()
        if warning:
            say_error(warning)
    model = args.stt_model or default_stt_model(settings)
    language = args.language if args.language is not None else default_stt_language(settings)
    return model, language


def run_transcribe(args: argparse.Namespace) -> int:
    from assistant.speech.stt import Transcriber

    model, language = stt_choices(args)
    print(Transcriber(model, language=language).transcribe_file(args.audio))
    return 0
