"""`assistant run`: the tray app (also what plain `assistant` starts)."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.cli.model_options import add_model_arguments
from assistant.config import SPEAK_WITH
from assistant.i18n import _, pgettext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help=_("start the assistant in the system tray (the default)"),
        description=_(
            "Start the assistant: a tray icon, global hotkeys, spoken descriptions and a dialog "
            "for follow-up questions. The model loads in the background."
        ),
    )
    add_model_arguments(parser, from_settings=True)
    parser.add_argument(
        "--speech-to",
        type=Path,
        metavar=pgettext("command-line placeholder", "DIR"),
        help=_("write every utterance to DIR as NNNN.wav and NNNN.txt instead of playing it"),
    )
    parser.add_argument("--no-speech", action="store_true", help=_("do not speak; show text instead"))
    parser.add_argument(
        "--speak-with",
        choices=SPEAK_WITH,
        help=_(
            "for this run: screen-reader (the user's screen reader when one runs, else the app's own "
            "voice), own-voice, or both (default: from the settings)"
        ),
    )
    parser.add_argument(
        "--settings",
        type=Path,
        metavar=pgettext("command-line placeholder", "FILE"),
        help=_("settings file (default: the user's)"),
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from assistant.ui.app import run_app

    if args.server and args.server.strip():
        from assistant.engine.server_consent import parse_address

        # Refused here, as by the other commands: the app would keep it in the settings it saves.
        parse_address(args.server)
    return run_app(
        model=args.model,
        device=args.device,
        precision=args.precision,
        speech_to=args.speech_to,
        speech=not args.no_speech,
        speak_with=args.speak_with,
        settings_file=args.settings,
        model_server=args.server,
        server_model=args.server_model,
        allow_remote_server=args.allow_remote_server,
        image_tokens=args.image_tokens,
    )
