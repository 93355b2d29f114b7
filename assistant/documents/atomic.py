"""Writing a document whole or not at all (through assistant.files), keeping its original beside it.

A document reached through a symbolic link is written through to the file the link points to, so the
link stays a link; a file with several hard links is refused, since replacing it would split them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from assistant.documents import backups
from assistant.documents.model import DocumentError
from assistant.files import replace_file, temporary_beside
from assistant.i18n import _, os_reason


def is_backup(path: Path) -> bool:
    """A backup this tool wrote (and nobody changed since); a user's own `*.orig.*` file is not."""
    return backups.looks_like_backup(path) and backups.is_ours(path)


def is_read_only(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not os.access(path, os.W_OK) or not mode & 0o222


def _friendly(error: OSError, path: Path) -> DocumentError:
    if error.errno == errno.ENOSPC:
        return DocumentError(
            _("The disk is full, so {name} was left unchanged. Free some space and run again.").format(
                name=path.name
            )
        )
    if error.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
        return DocumentError(
            _("{name} could not be written because permission was denied, so it was left unchanged.").format(
                name=path.name
            )
        )
    return DocumentError(
        _("{name} could not be written ({value}), so it was left unchanged.").format(
            name=path.name, value=os_reason(error)
        )
    )


@dataclass
class Written:
    backup: Path | None = None  # where the original is kept
    target: Path | None = None  # the file written, when `path` was a link to it


def _keep_original(path: Path) -> Path:
    """Copy `path` to a backup name that is free (or already holds its original, from an earlier run)."""
    for candidate in backups.candidates(path):
        if backups.is_ours(candidate, path):
            return candidate  # the older original: keep it
        if os.path.lexists(candidate):
            continue  # someone else's file of that name
        file, temporary = temporary_beside(path)
        try:
            with file, open(path, "rb") as original:
                shutil.copyfileobj(original, file)
                file.flush()
                os.fsync(file.fileno())
            shutil.copystat(path, temporary)
            try:
                os.link(temporary, candidate)  # fails, rather than replaces, if the name was taken meanwhile
            except FileExistsError:
                continue
            except OSError:  # a filesystem without hard links
                if os.path.lexists(candidate):
                    continue
                os.replace(temporary, candidate)
        finally:
            temporary.unlink(missing_ok=True)
        # Unrecorded, a later run leaves it alone and picks the next free name: nothing is lost.
        with contextlib.suppress(OSError):
            backups.record(candidate, path)
        return candidate
    raise DocumentError(
        _(
            "{name} was left unchanged because every name for keeping its original ({stem}.orig{suffix} and the numbered ones) is taken; move some away and run again."
        ).format(name=path.name, stem=path.stem, suffix=path.suffix)
    )


def write_atomically(
    path: Path,
    write: Callable[[BinaryIO], None],
    backup: bool = True,
    expected_stat: os.stat_result | None = None,
) -> Written:
    """Replace the document at `path` with what `write` produces; says where the original was kept.

    The file is never left half-written: on any failure (disk full, Ctrl+C) the temporary file is
    removed and the original stays as it was.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if is_read_only(target):
        raise DocumentError(
            _("{name} is read-only, so it was left unchanged. Make it writable and run again.").format(
                name=path.name
            )
        )
    try:
        now = target.stat()
    except OSError as error:
        raise _friendly(error, path) from None
    if now.st_nlink > 1:
        raise DocumentError(
            _(
                "{name} was left unchanged because it has {st_nlink} hard links, which replacing it would separate; copy it to a file of its own to add alt-text."
            ).format(name=path.name, st_nlink=now.st_nlink)
        )
    if expected_stat is not None and (now.st_size, now.st_mtime_ns) != (
        expected_stat.st_size,
        expected_stat.st_mtime_ns,
    ):
        raise DocumentError(
            _("{name} changed while it was being worked on, so it was left unchanged.").format(name=path.name)
        )
    written = Written(target=target if target != path else None)
    try:
        if backup:
            written.backup = _keep_original(target)
        replace_file(target, write)
    except OSError as error:
        raise _friendly(error, path) from None
    return written
