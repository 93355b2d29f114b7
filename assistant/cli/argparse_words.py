"""argparse's own words a user meets (usage, section titles, its errors), marked for the app's catalogue.

argparse translates them through gettext's global domain, which the command line points at the app's
catalogue (`use_catalogue_for_standard_library`); they are listed here so the template holds them. The
English must match argparse's exactly; programmers' mistakes (bad add_argument calls) are left out.
"""

from __future__ import annotations

from assistant.i18n import N_

# Translators: argparse's words, shown by `assistant --help` and on a mistake on the command line. Keep
# the placeholders (%(prog)s, %s, %(value)r) as they are.
WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("optional arguments"),  # Python 3.10's name for the options
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("ignored explicit argument %r"),
    N_("can't open '%(filename)s': %(error)s"),
)
