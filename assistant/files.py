"""Writing a file whole or not at all: a temporary file in the same folder, flushed to disk, then a rename.

A crash, a full disk or Ctrl+C leaves either the old file or the new one, never half of one, and no
temporary file behind. Settings, documents, reports, recorded speech, the `--history` file, the
trigger channel's key and the prepared int8 model all write through here.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def temporary_beside(path: Path) -> tuple[BinaryIO, Path]:
    """A new file, open for writing and private to this user (0600), in `path`'s folder: a rename
    within one folder is atomic, across file systems it is not."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    return os.fdopen(descriptor, "wb"), Path(name)


def default_mode() -> int:
    """The permissions a new file gets from this user's umask (the temporary file's 0600 is not that)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable, where the system lets a folder be opened (not on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace_file(path: Path, write: Callable[[BinaryIO], object], mode: int | None = None) -> None:
    """Replace (or create) `path` with what `write` writes, whole or not at all; OSError on failure.

    The file gets `mode` when given; otherwise an existing file keeps its permissions and a new one
    gets the usual ones. On any failure the temporary file is removed and `path` is as it was.
    """
    file, temporary = temporary_beside(path)
    try:
        with file:
            write(file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    put_in_place(temporary, path, mode)


def put_in_place(temporary: Path, path: Path, mode: int | None = None) -> None:
    """The second half of `replace_file`, for a writer that streams into `temporary_beside`'s file
    over many calls (the prepared int8 model): flush it to disk, then rename it over `path`.

    The file must be closed. On failure the temporary file is removed and `path` is as it was.
    """
    try:
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        if mode is None:
            try:
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except FileNotFoundError:
                mode = default_mode()
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def replace_text(path: Path, text: str, mode: int | None = None) -> None:
    """`replace_file` for text, written as UTF-8."""
    replace_file(path, lambda file: file.write(text.encode("utf-8")), mode)
