"""The options that choose the model, and loading it for a command: shared by every command that loads one."""

from __future__ import annotations

import argparse

from assistant.cli import say_error
from assistant.cli.numbers import whole_number
from assistant.engine import Engine
from assistant.engine.models import DEFAULT_MODEL
from assistant.engine.runtime import DEVICES, PRECISIONS
from assistant.engine.server import ServerChoice
from assistant.engine.server_consent import parse_address
from assistant.i18n import _, pgettext


def add_model_arguments(parser: argparse.ArgumentParser, *, from_settings: bool = False) -> None:
    """--model, --device and --precision; with `from_settings`, what is not given comes from the settings."""
    default = None if from_settings else "auto"
    parser.add_argument(
        "--model",
        metavar=pgettext("command-line placeholder", "ID_OR_PATH"),
        help=_("hub id or local folder (default: the settings)")
        if from_settings
        else _("hub id or local folder (default: {model})").format(model=DEFAULT_MODEL),
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default=default,
        help=_("where to run (default: the settings)")
        if from_settings
        else _("where to run (default: auto)"),
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=default,
        help=_("weights precision (default: the settings)")
        if from_settings
        else _("weights precision (default: auto)"),
    )
    parser.add_argument(
        "--image-tokens",
        type=whole_number,
        metavar="N",
        help=_(
            "the most image tokens a picture becomes, for Qwen3.5, SmolVLM2 and Gemma 4 (default: the settings)"
        )
        if from_settings
        else _(
            "the most image tokens a picture becomes, for Qwen3.5, SmolVLM2 and Gemma 4 (default: the family's own)"
        ),
    )
    if not from_settings:  # the app reads it from its settings (Settings: Translate answers)
        parser.add_argument(
            "--no-translate",
            action="store_true",
            help=_(
                "answer in English with a model that speaks only English (default: its answers are translated into your language on this computer)"
            ),
        )
    servers = parser.add_argument_group(_("a model server instead of the local model"))
    servers.add_argument(
        "--server",
        metavar=pgettext("command-line placeholder", "URL"),
        help=_(
            "an OpenAI-compatible server (Ollama, llama.cpp, LM Studio, vLLM, transformers serve), e.g. "
            "http://localhost:11434; --model, when given, answers if the server fails (default: the settings)"
        )
        if from_settings
        else _(
            "an OpenAI-compatible server (Ollama, llama.cpp, LM Studio, vLLM, transformers serve), e.g. "
            "http://localhost:11434; --model, when given, answers if the server fails"
        ),
    )
    servers.add_argument(
        "--server-model",
        metavar=pgettext("command-line placeholder", "NAME"),
        help=_("the model on the server (default: the one it serves)"),
    )
    servers.add_argument(
        "--allow-remote-server",
        action="store_true",
        help=_("allow a server on another computer, which receives pictures of your screen"),
    )


def server_option(args: argparse.Namespace) -> ServerChoice | None:
    """The server --server names, None for none."""
    if not getattr(args, "server", None):
        return None
    # Refused here, before a model or Ray loads: on Ray the address would go to every actor first.
    parse_address(args.server)
    return ServerChoice(args.server, args.server_model or "", args.allow_remote_server)


def load_for_command(args: argparse.Namespace) -> Engine:
    """The engine for a command, with anything the user should know (fallbacks) said on stderr."""
    from assistant.engine import load_engine
    from assistant.engine.models import PREPARING

    def on_progress(stage: str) -> None:
        if stage == _(PREPARING):  # a minute or more, once per computer: worth a line
            say_error(stage)

    engine = load_engine(
        args.model,
        device=args.device,
        precision=args.precision,
        on_progress=on_progress,
        server=server_option(args),
        image_tokens=getattr(args, "image_tokens", None) or 0,
        translate=not getattr(args, "no_translate", False),
    )
    for notice in engine.notices:
        say_error(notice)
    engine.on_notice = say_error
    return engine
