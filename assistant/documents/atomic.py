"""Writing a document whole or not at all: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from assistant.documents.model import DocumentError


def backup_path(path: Path) -> Path:
    """Where the original is kept: `report.html` -> `report.orig.html`."""
    return path.with_name(f"{path.stem}.orig{path.suffix}")


def is_backup(path: Path) -> bool:
    return path.stem.endswith(".orig")


def is_read_only(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not mode & 0o222


def _friendly(error: OSError, path: Path) -> DocumentError:
    if error.errno == errno.ENOSPC:
        return DocumentError(
            f"The disk is full, so {path.name} was left unchanged. Free some space and run again."
        )
    if error.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
        return DocumentError(
            f"{path.name} could not be written because permission was denied, so it was left unchanged."
        )
    return DocumentError(
        f"{path.name} could not be written ({error.strerror or error}), so it was left unchanged."
    )


def _temporary(path: Path) -> tuple[BinaryIO, Path]:
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    return os.fdopen(descriptor, "wb"), Path(name)


def write_atomically(
    path: Path,
    write: Callable[[BinaryIO], None],
    backup: bool = True,
    expected_stat: os.stat_result | None = None,
) -> Path | None:
    """Replace `path` with what `write` produces; returns the backup's path when one was made.

    The file is never left half-written: on any failure (disk full, Ctrl+C) the temporary file is
    removed and the original stays as it was. An existing backup is kept, since it is the older original.
    """
    if is_read_only(path):
        raise DocumentError(
            f"{path.name} is read-only, so it was left unchanged. Make it writable and run again."
        )
    if expected_stat is not None:
        now = path.stat()
        if (now.st_size, now.st_mtime_ns) != (expected_stat.st_size, expected_stat.st_mtime_ns):
            raise DocumentError(
                f"{path.name} changed while it was being worked on, so it was left unchanged."
            )
    made_backup: Path | None = None
    temporary: Path | None = None
    try:
        if backup:
            target = backup_path(path)
            if not target.exists():
                file, temporary = _temporary(path)
                with file, open(path, "rb") as original:
                    shutil.copyfileobj(original, file)
                    file.flush()
                    os.fsync(file.fileno())
                shutil.copystat(path, temporary)
                os.replace(temporary, target)
                temporary = None
            made_backup = target
        file, temporary = _temporary(path)
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise _friendly(error, path) from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return made_backup
