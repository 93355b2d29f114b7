"""The Whisper test weights are the upload pinned: the version in pyproject.toml, each file's SHA-256."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from fixtures import whisper

ROOT = Path(__file__).resolve().parents[1]


def test_the_test_extra_pins_the_version_whose_hashes_are_kept() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf'"{whisper.PACKAGE}=={re.escape(whisper.VERSION)}"', pyproject)


def test_a_changed_missing_or_added_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contents = {"config.json": b"{}", "model.bin": b"weights"}
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(
        whisper, "SHA256", {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
    )
    assert whisper.unexpected_files(tmp_path) == []
    (tmp_path / "model.bin").write_bytes(b"other weights")
    (tmp_path / "config.json").unlink()
    (tmp_path / "extra.txt").write_text("new")
    assert whisper.unexpected_files(tmp_path) == [
        "config.json is missing",
        "extra.txt was added",
        f"model.bin has SHA-256 {hashlib.sha256(b'other weights').hexdigest()}",
    ]


def test_the_installed_upload_is_the_one_pinned(stt_model_dir: Path) -> None:
    assert sorted(path.name for path in stt_model_dir.iterdir()) == sorted(whisper.SHA256)
