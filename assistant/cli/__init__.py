"""The command line: `assistant [run|describe|ask|alt-text|trigger|doctor|bench|models|transcribe] …`.

Each package registers its own sub-commands in its `commands.py`; heavy imports (torch, Qt) happen
only inside the command that needs them, so `assistant trigger` and `--help` stay instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assistant import __version__

COMMAND_MODULES = (
    "assistant.ui.commands",  # run (the default)
    "assistant.engine.commands",  # describe, ask, models, bench
    "assistant.doctor",  # doctor
    "assistant.benchmarks",  # bench
    "assistant.documents.commands",  # alt-text
    "assistant.hotkeys.commands",  # trigger
    "assistant.speech.commands",  # transcribe
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Describes the screen and images aloud, and answers questions about them, "
        "with BLIP-2 running on this computer.",
    )
    parser.add_argument("--version", action="version", version=f"assistant {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if "run" not in parser._subparsers._group_actions[0].choices:  # type: ignore[union-attr]
            parser.print_help()
            return 2
        args = parser.parse_args(["run", *(argv or sys.argv[1:])])
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
