"""What an alt-text run has finished, kept so that the same command after a stop skips it.

One file per set of run options in the user's cache folder ($ASSISTANT_CACHE_DIR/journal when set); one line per finished document: its real
path and the SHA-256 of its content as the run left it (written or unchanged). A document changed since
then has another hash and is gone over again. Each line is flushed to disk before the next document
starts, so a run stopped at any point (Ctrl+C, `kill`, a lost driver) loses at most the line of the
document it was finishing; a torn last line is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.documents.phrases import phrase

if TYPE_CHECKING:
    from assistant.documents.runner import Options

# Translators: the alt-text report, a note on a document that an earlier run already finished.
DONE_NOTE = phrase("Finished by an earlier run of the same command and unchanged since, so not read again.")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _key(path: Path) -> str:
    return os.path.realpath(path)


class Journal:
    """The documents finished by earlier runs with the same options, and the record of this run's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._done: set[tuple[str, str]] = set()
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                entry = json.loads(line)
                self._done.add((str(entry["path"]), str(entry["sha256"])))
            except (ValueError, KeyError, TypeError):
                continue  # the torn line of a run stopped while writing it

    def is_done(self, path: Path, content: bytes) -> bool:
        return self.has(path, content_hash(content))

    def has(self, path: Path, sha256: str) -> bool:
        """Whether `path` was finished with this content (its SHA-256, as `file_hash` gives it)."""
        return (_key(path), sha256) in self._done

    def record(self, path: Path, sha256: str) -> None:
        """Note `path` as finished, with the hash of its content now; on disk before this returns."""
        entry = (_key(path), sha256)
        if entry in self._done:
            return
        self._done.add(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"path": entry[0], "sha256": sha256}, ensure_ascii=True) + "\n"
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())

    def __len__(self) -> int:
        return len(self._done)


def journal_for(options: Options, model: str, folder: Path | None = None) -> Journal:
    """The journal of runs with these options and this model (the same command), in the cache folder."""
    settings: dict[str, Any] = {**asdict(options), "model": model}
    settings.pop("batch_size", None)  # how pictures are grouped changes nothing written
    key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:24]
    if folder is None:
        import platformdirs

        base = os.environ.get("ASSISTANT_CACHE_DIR")  # as the prepared models' (engine/prepared.py)
        folder = (
            Path(base) if base else platformdirs.user_cache_path("assistant", appauthor=False)
        ) / "journal"
    return Journal(folder / f"{key}.jsonl")
