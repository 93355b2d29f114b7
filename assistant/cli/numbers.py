"""Numbers given on the command line, refused in the user's language: argparse's own refusal of
`type=int` names Python's type ("valor int no válido: 'abc'")."""

from __future__ import annotations

import argparse

from assistant.i18n import _


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text!r} is not a whole number").format(text=text)) from None


def positive(text: str) -> int:
    """A whole number of 1 or more (a count)."""
    value = whole_number(text)
    if value < 1:
        # Translators: an error of a command-line option that counts something, such as --batch-size 0.
        raise argparse.ArgumentTypeError(_("must be 1 or more"))
    return value


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text!r} is not a number").format(text=text)) from None
