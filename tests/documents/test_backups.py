"""The record of backups: a file's fingerprint, on every Python the app supports."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.documents.backups import digest


def test_digest_works_without_python_311s_file_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "page.html"
    document.write_bytes(b"<p>hello</p>" * 200_000)  # more than one block
    monkeypatch.delattr(hashlib, "file_digest", raising=False)  # as on Python 3.10

    assert digest(document) == hashlib.sha256(document.read_bytes()).hexdigest()
    assert digest(tmp_path / "missing.html") is None
