"""The command line: `assistant [run|describe|ask|alt-text|trigger|doctor|bench|models|transcribe] …`.

One module a command group registers its sub-commands here, and a `UserError` from any of them is
printed here as its one sentence; the library packages never import this
package. Commands that are not part of the product (`bench`) plug in through the entry-point group
`assistant.commands` declared in pyproject.toml, so this package never imports them. Heavy imports
(torch, Qt) happen only inside the command that needs them, so `assistant trigger` and `--help` stay
instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from assistant import __version__
from assistant.errors import UserError
from assistant.i18n import _, pgettext, use_catalogue_for_standard_library
from assistant.text_safety import for_terminal

COMMAND_MODULES = (
    "assistant.cli.run",  # run (the default)
    "assistant.cli.engine",  # describe, ask, models
    "assistant.cli.doctor",  # doctor
    "assistant.cli.documents",  # alt-text
    "assistant.cli.hotkeys",  # trigger
    "assistant.cli.speech",  # transcribe
)
PLUGIN_GROUP = "assistant.commands"  # each entry: a `register(subparsers)` function, e.g. the bench's

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def plugin_commands() -> list[Register]:
    """The `register` functions of the commands installed as plug-ins, in the order of their names."""
    found = sorted(entry_points(group=PLUGIN_GROUP), key=lambda entry: entry.name)
    return [entry.load() for entry in found]


def say_error(message: object) -> None:
    # Messages quote file names and sources, which may hold ESC, newlines or bytes that are not UTF-8.
    print(for_terminal(message), file=sys.stderr)


def build_parser(plugins: bool = True) -> argparse.ArgumentParser:
    """Every command's parser; without `plugins`, the product's own commands only."""
    parser, subparsers = _own_commands()
    for register in plugin_commands() if plugins else []:
        register(subparsers)
    return parser


def _own_commands() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]]:
    # argparse's own words (usage, options, its errors) come from the app's catalogue too.
    use_catalogue_for_standard_library()
    parser = argparse.ArgumentParser(
        prog="assistant",
        description=_(
            "Describes the screen and images aloud, and answers questions about them, "
            "with a vision model running on this computer (BLIP-2 unless you choose another)."
        ),
    )
    # Python 3.11's argparse gives the version option an English help that it does not translate.
    parser.add_argument(
        "--version",
        action="version",
        version=f"assistant {__version__}",
        help=_("show program's version number and exit"),
    )
    # Translators: the command line's placeholders, shown by --help and its errors, are written in capitals
    # ("assistant [-h] COMMAND ..."); the help texts that name one must use the same translation.
    subparsers = parser.add_subparsers(
        dest="command", metavar=pgettext("command-line placeholder", "COMMAND")
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser, subparsers


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    parser, subparsers = _own_commands()
    if given and given[0] not in subparsers.choices:
        # A plug-in's command, --help, or a mistake whose message lists every command. The product's
        # own commands skip this: finding plug-ins reads every installed package's metadata (about a
        # third of a second), and `assistant trigger` runs on each key press where a desktop binds it.
        for register in plugin_commands():
            register(subparsers)
    args = parser.parse_args(given)
    if args.command is None:
        args = parser.parse_args(["run", *given])
    try:
        return int(args.handler(args) or 0)
    except UserError as error:  # the one sentence that says what to do, for every command
        say_error(error)
        return 1
    except KeyboardInterrupt:
        say_error(_("Stopped."))
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
