"""A run that is stopped (Ctrl+C, SIGTERM, a driver killed outright) leaves every document whole and a
journal of what it finished; the same command again finishes the rest and writes nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from doc_helpers import BLUE, GREEN, RED, YELLOW, RecordingEngine, alt_for, png

from assistant.documents.journal import DONE_NOTE, Journal, journal_for
from assistant.documents.runner import Options, Runner

COLORS = [RED, GREEN, BLUE, YELLOW]
RUN_DEADLINE_S = 120  # a hang guard for the child runs, never a timing


def corpus(folder: Path) -> list[Path]:
    """Four Markdown documents, one picture each (a different colour), all with alt-text already, so
    only --overwrite describes them, and a second run would write them again but for the journal."""
    documents = []
    for index, color in enumerate(COLORS):
        (folder / f"{index}.png").write_bytes(png(color))
        document = folder / f"doc{index}.md"
        document.write_text(f"# Page {index}\n\n![old text {index}]({index}.png)\n")
        documents.append(document)
    return documents


def finished(document: Path, index: int) -> bool:
    text = document.read_text()
    if f"![{alt_for(COLORS[index])}]({index}.png)" in text:
        return True
    assert text == f"# Page {index}\n\n![old text {index}]({index}.png)\n"  # whole: the original
    return False


def backups(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".orig" in path.name)


def test_stopped_then_run_again_finishes_the_rest_and_writes_nothing_twice(tmp_path: Path) -> None:
    documents = corpus(tmp_path)
    options = Options(write=True, overwrite=True, batch_size=1)
    journal = journal_for(options, "recording", tmp_path / "cache")
    first = Runner(RecordingEngine(stop_after=2), options, journal=journal).run(documents)
    assert first.interrupted
    assert [finished(document, i) for i, document in enumerate(documents)] == [True, True, False, False]
    assert len(Journal(journal.path)) == 2
    inodes = [document.stat().st_ino for document in documents[:2]]  # a write renames a new file over

    engine = RecordingEngine()
    again = journal_for(options, "recording", tmp_path / "cache")
    second = Runner(engine, options, journal=again).run(documents)
    assert not second.interrupted and not second.failed
    assert engine.batches == [1, 1]  # only the two left were described
    assert all(finished(document, i) for i, document in enumerate(documents))
    assert [document.stat().st_ino for document in documents[:2]] == inodes  # not written again
    assert backups(tmp_path) == [f"doc{i}.orig.md" for i in range(4)]
    notes = {result.path: result.notes for result in second.documents}
    assert notes[documents[0]] == [DONE_NOTE] and notes[documents[2]] == []


def test_a_document_changed_since_is_gone_over_again_and_other_options_have_their_own_journal(
    tmp_path: Path,
) -> None:
    documents = corpus(tmp_path)[:2]
    options = Options(write=True, overwrite=True)
    Runner(RecordingEngine(), options, journal=journal_for(options, "m", tmp_path / "c")).run(documents)
    documents[1].write_text(documents[1].read_text().replace("# Page", "# Changed page"))
    engine = RecordingEngine()
    Runner(engine, options, journal=journal_for(options, "m", tmp_path / "c")).run(documents)
    assert engine.batches == [1]
    other = Options(write=True, overwrite=True, max_length=60)
    assert journal_for(other, "m", tmp_path / "c").path != journal_for(options, "m", tmp_path / "c").path
    assert (
        journal_for(options, "other", tmp_path / "c").path != journal_for(options, "m", tmp_path / "c").path
    )


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"path": "/a", "sha256": "00"}\n{"path": "/b", "sha2')
    assert len(Journal(path)) == 1


def _cli_child(folder: Path, cache: Path, die: str | None) -> subprocess.CompletedProcess[bytes]:
    """`assistant alt-text FOLDER --write --overwrite --batch-size 1` in a child with the recording
    engine; with `die`, the engine's second batch sends the child that signal (a lost driver, a `kill`)."""
    script = f"""
        import os, signal, sys
        from doc_helpers import RecordingEngine
        import assistant.cli.documents

        class Dying(RecordingEngine):
            def describe_many(self, images, detail="brief", batch_size=8):
                if {die!r} is not None and len(self.batches) == 2:
                    os.kill(os.getpid(), getattr(signal, {die!r}))
                return super().describe_many(images, detail, batch_size)

        assistant.cli.documents.load_for_command = lambda args: Dying()
        from assistant.cli import main
        sys.exit(main(["alt-text", {str(folder)!r}, "--write", "--overwrite", "--batch-size", "1",
                       "--report", {str(folder / "report.json")!r}]))
    """
    path = os.pathsep.join([str(Path(__file__).parent), *sys.path])
    env = {**os.environ, "PYTHONPATH": path, "ASSISTANT_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        timeout=RUN_DEADLINE_S,
        env=env,
        check=False,
    )


def test_sigterm_and_a_killed_driver_leave_documents_whole_and_the_same_command_finishes(
    tmp_path: Path,
) -> None:
    for die, status in (("SIGTERM", 130), ("SIGKILL", -signal.SIGKILL)):
        folder, cache = tmp_path / die, tmp_path / f"cache-{die}"
        folder.mkdir()
        documents = corpus(folder)
        stopped = _cli_child(folder, cache, die)
        assert stopped.returncode == status, stopped.stderr.decode()[-2000:]
        done = [finished(document, i) for i, document in enumerate(documents)]
        assert done == [True, True, False, False], die
        inodes = [document.stat().st_ino for document in documents[:2]]  # a write renames a new file over
        assert not [path.name for path in folder.iterdir() if path.name.startswith(".")]  # no temporaries
        if die == "SIGTERM":  # stopped cleanly: the report names what is left
            report = json.loads((folder / "report.json").read_text())
            assert report["summary"]["interrupted"] is True
        again = _cli_child(folder, cache, None)
        assert again.returncode == 0, again.stderr.decode()[-2000:]
        assert all(finished(document, i) for i, document in enumerate(documents))
        assert backups(folder) == [f"doc{i}.orig.md" for i in range(4)], die
        assert [document.stat().st_ino for document in documents[:2]] == inodes, die  # not written again
        report = json.loads((folder / "report.json").read_text())
        skipped = [d["path"] for d in report["documents"] if d["notes"] == [DONE_NOTE]]
        assert skipped == [str(documents[0]), str(documents[1])]
