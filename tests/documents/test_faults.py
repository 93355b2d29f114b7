"""Faults: bad images, missing and damaged documents, read-only files, a full disk, Ctrl+C."""

from __future__ import annotations

import errno
import io
import os
import zipfile
from pathlib import Path

import pytest
from doc_helpers import BLUE, GREEN, RED, YELLOW, RecordingEngine, alt_for, png

from assistant import files
from assistant.documents import atomic
from assistant.documents.model import Outcome, Status
from assistant.documents.runner import STOPPED, Options, run


def page(folder: Path, name: str, *images: str) -> Path:
    path = folder / name
    path.write_text("<p>" + "".join(f'<img src="{image}">' for image in images) + "</p>\n")
    return path


def colors(folder: Path) -> None:
    for name, color in (("red.png", RED), ("blue.png", BLUE), ("green.png", GREEN), ("yellow.png", YELLOW)):
        (folder / name).write_bytes(png(color))


def test_unreadable_image_fails_alone(tmp_path: Path, engine: RecordingEngine) -> None:
    colors(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    path = page(tmp_path, "a.html", "broken.png", "red.png")
    report = run([path], engine, Options(write=True))
    broken, red = report.documents[0].images
    assert (broken.status, broken.outcome) == (Status.FAILED, Outcome.FAILED)
    assert "cannot be read" in broken.reason or "not an image" in broken.reason
    assert red.outcome is Outcome.WRITTEN
    assert path.read_text() == f'<p><img src="broken.png"><img src="red.png" alt="{alt_for(RED)}"></p>\n'
    assert report.failed


def test_unusable_description_is_never_written(tmp_path: Path) -> None:
    colors(tmp_path)
    path = page(tmp_path, "a.html", "red.png", "blue.png")
    report = run([path], RecordingEngine(replies={RED: "   ", BLUE: "an image of"}), Options(write=True))
    assert [image.outcome for image in report.documents[0].images] == [Outcome.FAILED, Outcome.FAILED]
    assert path.read_text() == '<p><img src="red.png"><img src="blue.png"></p>\n'
    assert not (tmp_path / "a.orig.html").exists()


def test_missing_and_damaged_documents_are_reported_and_the_rest_processed(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    colors(tmp_path)
    good = page(tmp_path, "good.html", "red.png")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a zip at all")
    (tmp_path / "broken.epub").write_bytes(zipfile_bytes({"mimetype": b"application/epub+zip"})[:40])
    (tmp_path / "binary.html").write_bytes(b"\x00\x01\x02garbage\x00")
    (tmp_path / "nonsense.pdf").write_bytes(b"%PDF-1.7\nnot really\n")
    (tmp_path / "bad-xml.pptx").write_bytes(
        zipfile_bytes({"ppt/presentation.xml": b"<p/>", "ppt/slides/slide1.xml": b"<p:sld><unclosed"})
    )
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    report = run([tmp_path, tmp_path / "nowhere.md"], engine, Options(write=True))
    errors = {document.path.name: document.error for document in report.documents if document.error}
    assert set(errors) == {
        "broken.docx",
        "broken.epub",
        "binary.html",
        "nonsense.pdf",
        "bad-xml.pptx",
        "nowhere.md",
    }
    assert "damaged" in errors["broken.docx"] and "damaged" in errors["broken.epub"]
    assert "not valid XML" in errors["bad-xml.pptx"]
    assert "was not found" in errors["nowhere.md"]
    assert all("\n" not in error and "Traceback" not in error for error in errors.values())
    assert good.read_text() == f'<p><img src="red.png" alt="{alt_for(RED)}"></p>\n'
    for name, data in before.items():
        if name != "good.html":
            assert (tmp_path / name).read_bytes() == data
    assert report.failed


def zipfile_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_read_only_file_is_left_alone(tmp_path: Path, engine: RecordingEngine) -> None:
    colors(tmp_path)
    locked = page(tmp_path, "locked.html", "red.png")
    other = page(tmp_path, "other.html", "blue.png")
    locked.chmod(0o444)
    try:
        report = run([locked, other], engine, Options(write=True))
    finally:
        locked.chmod(0o644)
    assert "read-only" in report.documents[0].error
    assert report.documents[0].images[0].outcome is Outcome.FAILED
    assert locked.read_text() == '<p><img src="red.png"></p>\n'
    assert alt_for(BLUE) in other.read_text()
    assert report.failed


class _FullDisk(io.RawIOBase):
    def __init__(self, real) -> None:
        self.real = real

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.real.close()

    def fileno(self) -> int:
        return self.real.fileno()


@pytest.mark.parametrize("backup", [True, False])
def test_disk_full_leaves_the_original(
    tmp_path: Path, engine: RecordingEngine, monkeypatch, backup: bool
) -> None:
    colors(tmp_path)
    path = page(tmp_path, "a.html", "red.png")
    original = path.read_bytes()
    real_temporary = files.temporary_beside

    def full(target: Path):
        file, name = real_temporary(target)
        return _FullDisk(file), name

    monkeypatch.setattr(files, "temporary_beside", full)  # the new document
    monkeypatch.setattr(atomic, "temporary_beside", full)  # the copy of the original
    report = run([path], engine, Options(write=True, backup=backup))
    assert report.documents[0].error.startswith("The disk is full")
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left
    assert not (tmp_path / "a.orig.html").exists()


def test_ctrl_c_leaves_each_document_old_or_new_and_a_rerun_finishes(tmp_path: Path) -> None:
    colors(tmp_path)
    first = page(tmp_path, "1.html", "red.png", "blue.png")
    second = page(tmp_path, "2.html", "green.png", "yellow.png")
    third = page(tmp_path, "3.html", "red.png", "yellow.png")
    originals = {path: path.read_bytes() for path in (first, second, third)}
    interrupted = RecordingEngine(stop_after=1)
    report = run([tmp_path], interrupted, Options(write=True, batch_size=2))
    assert report.interrupted and interrupted.batches == [2]
    assert (
        first.read_text()
        == f'<p><img src="red.png" alt="{alt_for(RED)}"><img src="blue.png" alt="{alt_for(BLUE)}"></p>\n'
    )
    assert second.read_bytes() == originals[second] and third.read_bytes() == originals[third]
    assert [d.interrupted for d in report.documents] == [False, True, True]
    assert report.documents[1].images[0].reason == STOPPED
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    resumed = RecordingEngine()
    report = run([tmp_path], resumed, Options(write=True, batch_size=2))
    assert not report.interrupted and not report.failed
    assert sum(resumed.batches) == 3  # green, yellow, and red again (a new run has its own memory)
    assert alt_for(GREEN) in second.read_text() and alt_for(YELLOW) in third.read_text()
    assert (tmp_path / "1.orig.html").read_bytes() == originals[first]


def test_ctrl_c_while_writing_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    colors(tmp_path)
    path = page(tmp_path, "a.html", "red.png")
    original = path.read_bytes()
    real_fsync = os.fsync
    calls = []

    def interrupted_fsync(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 2:  # the backup is safe; the new file is half done
            raise KeyboardInterrupt
        real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", interrupted_fsync)
    report = run([path], RecordingEngine(), Options(write=True))
    assert report.interrupted
    assert path.read_bytes() == original
    assert (tmp_path / "a.orig.html").read_bytes() == original
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


class _FailsOnBlue(RecordingEngine):
    def describe_many(self, images, detail="brief", batch_size=8):
        from assistant.engine.base import EngineError

        if any(image.getpixel((0, 0)) == BLUE for image in images):
            raise EngineError("The model ran out of memory. Try a smaller batch size.")
        return super().describe_many(images, detail, batch_size)


def test_engine_failure_fails_only_the_picture_that_caused_it(tmp_path: Path) -> None:
    colors(tmp_path)
    path = page(tmp_path, "a.html", "red.png", "blue.png", "green.png")
    report = run([path], _FailsOnBlue(), Options(write=True))
    red, blue, green = report.documents[0].images
    assert (red.outcome, blue.outcome, green.outcome) == (Outcome.WRITTEN, Outcome.FAILED, Outcome.WRITTEN)
    assert blue.reason == "The model ran out of memory. Try a smaller batch size."
    assert 'src="blue.png">' in path.read_text()
