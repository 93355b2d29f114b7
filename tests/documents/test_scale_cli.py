"""The command line of alt-text at scale without a model: --restart, and --ray where Ray is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from doc_helpers import RED, RecordingEngine, png

import assistant.cli.documents
from assistant.cli import main
from assistant.documents.journal import DONE_NOTE


@pytest.fixture
def recording(monkeypatch, tmp_path) -> RecordingEngine:
    engine = RecordingEngine()
    monkeypatch.setattr(assistant.cli.documents, "load_for_command", lambda args: engine)
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    return engine


def notes(capsys, folder: Path, *options: str) -> list[str]:
    code = main(["alt-text", str(folder), "--write", "--overwrite", "--json", *options])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [note for document in json.loads(out)["documents"] for note in document["notes"]]


def test_the_same_command_skips_what_it_finished_and_restart_forgets(recording, capsys, tmp_path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "red.png").write_bytes(png(RED))
    (folder / "a.md").write_text("![old](red.png)\n")
    assert notes(capsys, folder) == []
    written = (folder / "a.md").stat().st_ino  # each write is a new file renamed over the old
    assert notes(capsys, folder) == [DONE_NOTE]
    assert recording.batches == [1] and (folder / "a.md").stat().st_ino == written  # not written again
    assert notes(capsys, folder, "--restart") == []
    assert recording.batches == [1, 1] and (folder / "a.md").stat().st_ino != written
    # A dry run keeps no journal and skips nothing.
    code = main(["alt-text", str(folder), "--overwrite", "--json"])
    assert code == 0 and "Finished by an earlier run" not in capsys.readouterr().out


def test_ray_not_installed_is_one_sentence(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    (tmp_path / "a.md").write_text("![](red.png)\n")
    code = main(["alt-text", str(tmp_path / "a.md"), "--ray"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == "Ray is not installed; install it with: pip install 'assistant[scale]'."
