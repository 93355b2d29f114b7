"""`assistant transcribe AUDIO`: print the words spoken in a recording."""

from __future__ import annotations

import argparse
import sys


def add_stt_arguments(parser: argparse.ArgumentParser) -> None:
    """--stt-model and --language, shared with `assistant ask --audio`."""
    parser.add_argument(
        "--stt-model",
        metavar="ID_OR_PATH",
        help="speech-recognition model (default: the settings', tiny.en): base.en, small, … large-v3, or a local "
        "CTranslate2 folder",
    )
    parser.add_argument(
        "--language",
        metavar="L",
        help="language spoken, such as en or de, or auto (default: from the settings; *.en models: en)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transcribe",
        help="print the words spoken in a recording",
        description="Transcribes a recording (WAV, FLAC, OGG or MP3, at most a minute) with faster-whisper, "
        "on this computer, and prints the text.",
    )
    parser.add_argument("audio", metavar="AUDIO", help="the recording")
    add_stt_arguments(parser)
    parser.set_defaults(handler=run_transcribe)


def run_transcribe(args: argparse.Namespace) -> int:
    from assistant.speech.stt import SpeechInputError, Transcriber, default_stt_language

    try:
        language = args.language if args.language is not None else default_stt_language()
        text = Transcriber(args.stt_model, language=language).transcribe_file(args.audio)
    except SpeechInputError as error:
        print(error, file=sys.stderr)
        return 1
    print(text)
    return 0
