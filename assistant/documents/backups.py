"""The originals this tool kept: which `NAME.orig.EXT` files it wrote, so that only those are taken
for backups (kept on later runs, left out of folder scans), never a user's own file of that name.

The record lives in the user's state folder, keyed by each backup's real path and the digest of its
content: a file that has been replaced or edited since is no longer counted as ours.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from assistant.files import replace_text

REGISTRY_NAME = "backups.json"
#: How many numbered names (`doc.orig.1.html`, ...) are tried before a document is refused.
MAX_NUMBERED = 99
_BACKUP_NAME = re.compile(r"\.orig(?:\.\d+)?$")


def registry_path() -> Path:
    return platformdirs.user_state_path("assistant", appauthor=False) / REGISTRY_NAME


def digest(path: Path) -> str | None:
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                hasher.update(block)
    except OSError:
        return None
    return hasher.hexdigest()


def _load() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(registry_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, dict)}


def _key(path: Path) -> str:
    return os.path.realpath(path)


def looks_like_backup(path: Path) -> bool:
    """Named as this tool names backups (`doc.orig.html`, `doc.orig.2.html`)."""
    return bool(_BACKUP_NAME.search(path.stem))


def is_ours(backup: Path, document: Path | None = None) -> bool:
    """True when this tool wrote `backup` (as the original of `document`, when given) and it is unchanged."""
    entry = _load().get(_key(backup))
    if entry is None or (document is not None and entry.get("document") != _key(document)):
        return False
    return entry.get("sha256") == digest(backup)


def candidates(document: Path) -> Iterator[Path]:
    """`report.html` -> `report.orig.html`, `report.orig.1.html`, `report.orig.2.html`, ..."""
    yield document.with_name(f"{document.stem}.orig{document.suffix}")
    for number in range(1, MAX_NUMBERED + 1):
        yield document.with_name(f"{document.stem}.orig.{number}{document.suffix}")


def record(backup: Path, document: Path) -> None:
    """Remember that `backup` holds the original of `document`; entries whose file is gone are dropped."""
    path = registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_suffix(".lock")):  # two runs at once must not drop each other's entries
        entries = {key: value for key, value in _load().items() if os.path.exists(key)}
        entries[_key(backup)] = {"document": _key(document), "sha256": digest(backup) or ""}
        replace_text(path, json.dumps(entries, indent=1, sort_keys=True))


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: one run at a time is the usual case, and a lost entry loses no data
        yield
        return
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
