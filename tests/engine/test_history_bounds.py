"""Issue 21: `ask --history` reads a bounded history, however long the file's turns are."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.cli.history import MAX_FILE_BYTES, MAX_TURN_CHARACTERS, MAX_TURNS, read_history
from assistant.engine.base import Turn
from assistant.errors import UserError


def test_a_20_mb_turn_is_cut_as_it_is_read_under_a_memory_cap(tmp_path: Path) -> None:
    # One 20 MB answer once took 2.85 GB on its way to the model and aborted the process.
    path = tmp_path / "history.json"
    path.write_text(json.dumps([{"question": "What is it?", "answer": "a" * (20 * 2**20)}]))
    script = f"""
        from pathlib import Path
        from assistant.cli.history import read_history
        from assistant.engine.prompts import build_question
        turns, cut = read_history(Path({str(path)!r}))
        print(len(turns[0].answer), len(build_question("And now?", turns).prompt))
        print(cut)
    """

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20))

    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sizes, cut = result.stdout.splitlines()
    assert int(sizes.split()[0]) == MAX_TURN_CHARACTERS and int(sizes.split()[1]) < 2 * MAX_TURN_CHARACTERS
    assert cut == (
        f"The history file {path} is long, so only its last {MAX_TURNS} turns, each cut to "
        f"{MAX_TURN_CHARACTERS:,} characters, are used and kept."
    )


def test_only_the_last_turns_are_kept_and_a_short_history_says_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    turns = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(MAX_TURNS + 5)]
    path.write_text(json.dumps(turns))
    kept, cut = read_history(path)
    assert kept == [Turn(f"q{i}", f"a{i}") for i in range(5, MAX_TURNS + 5)] and cut is not None
    path.write_text(json.dumps(turns[:3]))
    assert read_history(path) == ([Turn(f"q{i}", f"a{i}") for i in range(3)], None)
    assert read_history(tmp_path / "none.json") == ([], None)


@pytest.mark.parametrize(
    "content",
    [b'{"question": "not a list"}', b"[1, 2]", b"[" * 100_000, b'[{"question": ' + b"9" * 5000 + b"}]"],
)
def test_what_is_not_a_history_is_one_sentence(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "history.json"
    path.write_bytes(content)
    with pytest.raises(UserError, match=r"is not a list of question and answer pairs\. Fix it"):
        read_history(path)


def test_a_history_file_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(UserError, match=r"larger than 32 MB; start a new one or choose another file\.$"):
        read_history(path)
