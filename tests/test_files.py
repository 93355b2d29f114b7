"""assistant.files: a file is replaced whole or not at all, keeps its permissions, and leaves nothing behind."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from assistant import files
from assistant.files import replace_file, replace_text

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_new_file_is_written(tmp_path: Path) -> None:
    replace_text(tmp_path / "notes.txt", "héllo\n")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "héllo\n"
    assert only(tmp_path) == ["notes.txt"]


@posix_only
def test_a_new_file_gets_the_usual_permissions_not_the_temporary_files(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        replace_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert mode_of(tmp_path / "new.txt") == 0o644


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o604])
def test_an_existing_file_keeps_its_permissions(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "kept.txt"
    path.write_text("old")
    path.chmod(mode)
    replace_text(path, "new")
    assert (path.read_text(), mode_of(path)) == ("new", mode)


@posix_only
def test_a_mode_given_is_the_mode_written(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    replace_text(path, "new", mode=0o600)
    assert mode_of(path) == 0o600


def test_a_failure_while_writing_leaves_the_original_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("original")

    def write_half(file) -> None:
        file.write(b"half of the new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        replace_file(path, write_half)
    assert path.read_text() == "original"
    assert only(tmp_path) == ["settings.toml"]


def test_a_failed_rename_leaves_the_original_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.json"
    path.write_text("original")

    def refuse(source, target) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(PermissionError):
        replace_text(path, "new")
    assert path.read_text() == "original"
    assert only(tmp_path) == ["history.json"]


def test_ctrl_c_while_writing_leaves_no_temporary(tmp_path: Path) -> None:
    def interrupted(file) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replace_file(tmp_path / "report.json", interrupted)
    assert only(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot open a folder to sync it")
def test_the_data_and_then_the_folder_are_flushed_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def record(descriptor: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(files.os, "fsync", record)
    replace_text(tmp_path / "0001.txt", "spoken\n")
    assert synced == ["file", "folder"]


@posix_only
def test_a_streamed_file_is_put_in_place_whole_with_the_usual_permissions(tmp_path: Path) -> None:
    """The prepared int8 model streams into `temporary_beside`'s file over many writes, then goes
    through the same flush and rename as every other file."""
    path = tmp_path / "model.safetensors"
    file, temporary = files.temporary_beside(path)
    with file:
        file.write(b"part one, ")
        file.write(b"part two")
    assert not path.exists()
    files.put_in_place(temporary, path)
    assert path.read_bytes() == b"part one, part two"
    assert mode_of(path) == files.default_mode()
    assert only(tmp_path) == ["model.safetensors"]


def test_a_streamed_file_whose_rename_fails_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.safetensors"
    file, temporary = files.temporary_beside(path)
    with file:
        file.write(b"data")

    def refuse(source, target) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(OSError):
        files.put_in_place(temporary, path)
    assert only(tmp_path) == []
