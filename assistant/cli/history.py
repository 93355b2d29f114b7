"""`ask --history FILE`: the earlier turns, read with bounds.

The model reads only the last few turns, each as much as fits in its context, but every character read
was once turned into tokens: one 20 MB answer took 2.85 GB and aborted the process. So the file is read
up to `MAX_FILE_BYTES`, and only its last `MAX_TURNS` turns, each cut to `MAX_TURN_CHARACTERS`, are kept
(and saved back with the new turn), with one sentence saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.engine.base import Turn
from assistant.errors import UserError
from assistant.i18n import _

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_TURNS = 50
# Far more than the model's context holds of one turn (512 tokens, about 2,000 characters).
MAX_TURN_CHARACTERS = 4000


def _not_a_history(path: Path) -> UserError:
    return UserError(
        _(
            "The history file {path} is not a list of question and answer pairs. Fix it or choose another file."
        ).format(path=path)
    )


def _read_bounded(path: Path) -> bytes:
    with path.open("rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UserError(
            _(
                "The history file {path} is larger than {size} MB; start a new one or choose another file."
            ).format(path=path, size=MAX_FILE_BYTES // 2**20)
        )
    return data


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TURN_CHARACTERS else text[: MAX_TURN_CHARACTERS - 1] + "…"


def read_history(path: Path | None) -> tuple[list[Turn], str | None]:
    """The turns in `path` ([] when there is none yet) and, when some were cut, one sentence saying so."""
    if path is None or not path.exists():
        return [], None
    try:
        turns = json.loads(_read_bounded(path).decode("utf-8-sig"))
        if not isinstance(turns, list):
            raise _not_a_history(path)
        kept = turns[-MAX_TURNS:]
        pairs = [(str(turn["question"]), str(turn["answer"])) for turn in kept]
    # RecursionError: nesting deeper than the parser follows, which no history of ours has.
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        raise _not_a_history(path) from None
    cut = [Turn(_cut(question), _cut(answer)) for question, answer in pairs]
    shortened = len(kept) < len(turns) or any(
        (turn.question, turn.answer) != pair for turn, pair in zip(cut, pairs, strict=True)
    )
    if not shortened:
        return cut, None
    return cut, (
        _(
            "The history file {path} is long, so only its last {max_turns} turns, each cut to {max_turn_characters:,} characters, are used and kept."
        ).format(path=path, max_turns=MAX_TURNS, max_turn_characters=MAX_TURN_CHARACTERS)
    )
