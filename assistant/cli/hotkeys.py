"""`assistant trigger ACTION`: send an action to the running app (bind it to a key on Wayland)."""

from __future__ import annotations

import argparse

from assistant.actions import TRIGGER_NAMES
from assistant.cli import say_error
from assistant.cli.numbers import number
from assistant.i18n import _, pgettext
from assistant.instance import NOT_RUNNING, send_trigger


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "trigger",
        help=_("send an action to the running assistant"),
        description=_(
            "Send an action to the running assistant, as its hotkey would. Where global hotkeys "
            "are not available (Wayland), bind this command to keys in your desktop's keyboard settings."
        ),
    )
    parser.add_argument(
        "action",
        choices=TRIGGER_NAMES,
        metavar=pgettext("command-line placeholder", "ACTION"),
        help=", ".join(TRIGGER_NAMES),
    )
    parser.add_argument(
        "--timeout",
        type=number,
        default=2.0,
        metavar=pgettext("command-line placeholder", "SECONDS"),
        help=_("how long to wait for the assistant to answer (default 2)"),
    )
    parser.set_defaults(handler=run_trigger)


def run_trigger(args: argparse.Namespace) -> int:
    if not send_trigger(args.action, timeout=args.timeout):
        say_error(_(NOT_RUNNING))
        return 1
    return 0
