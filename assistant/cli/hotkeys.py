"""`assistant trigger ACTION`: send an action to the running app (bind it to a key on Wayland)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from assistant.actions import TRIGGER_NAMES
from assistant.cli import say_error
from assistant.cli.numbers import number
from assistant.i18n import _, pgettext
from assistant.instance import NOT_RUNNING, TriggerError, send_trigger


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
    try:
        delivered = send_trigger(args.action, timeout=args.timeout)
    except TriggerError as error:  # running, but it did not take the action
        say_error(error)
        if not error.said_by_app:
            _tell_outside_a_terminal(str(error))
        return 1
    if not delivered:
        say_error(_(NOT_RUNNING))
        _tell_outside_a_terminal(_(NOT_RUNNING))
        return 1
    return 0


def _tell_outside_a_terminal(sentence: str) -> None:
    """Where nobody reads the command's output (it runs on a key the desktop binds), the sentence as a
    desktop notification and through speech-dispatcher too; typed in a terminal, it is read there (a
    screen reader reads it out: spoken as well, it would be heard twice)."""
    if _typed_in_a_terminal(sys.stderr):
        return
    from assistant.speech.desktop_notice import tell_outside

    tell_outside(sentence)


def _typed_in_a_terminal(stream: TextIO | None) -> bool:
    """Whether `stream` is the terminal this command runs in the foreground of. A desktop's key runs a
    command in a session of its own (sway's exec calls setsid), with no such terminal, even where its
    output goes to the terminal the desktop was started from."""
    try:
        descriptor = stream.fileno()  # type: ignore[union-attr]
        return os.isatty(descriptor) and os.tcgetpgrp(descriptor) == os.getpgrp()
    except (OSError, ValueError, AttributeError):  # no descriptor, no controlling terminal
        return False
