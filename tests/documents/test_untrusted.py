"""Documents written by others cannot hurt: images only from inside the document, bounded reads,
zip and pixel bombs refused small, and one bad document or picture never ends the run.

Every bomb is built small in the test's folder and opened in a child process with limited memory and
time, so a regression fails here instead of taking the machine down.
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import textwrap
import warnings
import zipfile
from pathlib import Path

import pytest
from bombs import add_bomb, png_bomb, run_limited
from doc_helpers import BLUE, GREEN, RED, RecordingEngine, alt_for, epub, png

from assistant.documents import formats
from assistant.documents.model import Outcome, Status
from assistant.documents.runner import Options, run

OUTSIDE = "points outside the document's folder; use --allow-outside to read it."
DATA = Path(__file__).parent / "data"


def page(path: Path, *sources: str) -> Path:
    path.write_text("<p>" + "".join(f'<img src="{source}">' for source in sources) + "</p>\n")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A document's folder, with a private picture beside it (in `private/`) that it must not read."""
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.png").write_bytes(png(BLUE))
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "red.png").write_bytes(png(RED))
    return tmp_path / "site"


# --- containment ----------------------------------------------------------------------------------------


def test_html_images_outside_the_folder_are_skipped_not_read(site: Path, engine: RecordingEngine) -> None:
    secret = site.parent / "private" / "secret.png"
    (site / "link.png").symlink_to(secret)
    sources = [secret.as_uri(), str(secret), "../private/secret.png", "link.png", "red.png"]
    path = page(site / "page.html", *sources)
    report = run([path], engine, Options(write=True))
    *outside, inside = report.documents[0].images
    for image in outside:
        assert (image.status, image.outcome) == (Status.OUTSIDE, Outcome.SKIPPED), image.source
        assert image.reason.endswith(OUTSIDE) and "\n" not in image.reason
    assert inside.outcome is Outcome.WRITTEN
    assert len(engine.batches) == 1 and engine.batches[0] == 1  # the secret was never described
    assert not report.failed


def test_allow_outside_reads_a_sibling_folder(site: Path, engine: RecordingEngine) -> None:
    path = page(site / "page.html", "../private/secret.png")
    report = run([path], engine, Options(write=True, allow_outside=True))
    assert report.documents[0].images[0].outcome is Outcome.WRITTEN
    assert alt_for(BLUE) in path.read_text()


def test_markdown_images_outside_the_folder_are_skipped(site: Path, engine: RecordingEngine) -> None:
    path = site / "notes.md"
    path.write_text("![](../private/secret.png) ![](/etc/hostname) ![](red.png)\n")
    images = run([path], engine, Options()).documents[0].images
    assert [image.outcome for image in images] == [Outcome.SKIPPED, Outcome.SKIPPED, Outcome.WOULD_WRITE]
    assert images[0].status is Status.OUTSIDE and images[0].reason.endswith(OUTSIDE)


def test_epub_reads_images_only_from_its_own_package(site: Path, engine: RecordingEngine) -> None:
    secret = site.parent / "private" / "secret.png"
    body = f'<img src="{secret.as_uri()}"/><img src="../../../private/secret.png"/><img src="red.png"/>'
    path = epub(site / "book.epub", body, {"OEBPS/red.png": png(RED)})
    by_url, by_path, inside = run([path], engine, Options()).documents[0].images
    assert (by_url.status, by_url.outcome) == (Status.OUTSIDE, Outcome.SKIPPED)
    assert by_url.reason.endswith("points outside the EPUB file; use --allow-outside to read it.")
    assert by_path.outcome is Outcome.FAILED and "missing from the file" in by_path.reason
    assert inside.outcome is Outcome.WOULD_WRITE


def test_device_files_and_pipes_are_refused_without_waiting(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "zero.png").symlink_to("/dev/zero")
    path = page(tmp_path / "page.html", "pipe.png", "zero.png", "/dev/zero")
    script = f"""
        import json
        from pathlib import Path
        from doc_helpers import RecordingEngine
        from assistant.documents.runner import Options, run
        report = run([Path({str(path)!r})], RecordingEngine(), Options(allow_outside=True))
        print(json.dumps([image.reason for image in report.documents[0].images]))
    """
    result = run_limited(textwrap.dedent(script), memory_mb=600, timeout=60)
    assert result.returncode == 0, result.stderr
    reasons = json.loads(result.stdout)
    assert all("is not a regular file" in reason for reason in reasons), reasons


def test_image_files_larger_than_the_limit_are_reported(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "big.png").write_bytes(png(RED) + bytes(3 * 2**20))
    path = page(tmp_path / "page.html", "big.png")
    image = run([path], engine, Options(max_image_bytes=2 * 2**20)).documents[0].images[0]
    assert image.outcome is Outcome.FAILED
    assert image.reason.startswith("The image file big.png is larger than 2 MB")
    assert "--max-image-mb" in image.reason
    assert run([path], engine, Options(max_image_bytes=4 * 2**20)).documents[0].images[0].size == (32, 24)


# --- bombs ------------------------------------------------------------------------------------------------


def refuse_in_child(paths: list[Path], memory_mb: int = 700) -> dict:
    script = f"""
        import json
        from pathlib import Path
        from doc_helpers import RecordingEngine
        from assistant.documents.runner import Options, run
        report = run([Path(p) for p in {[str(p) for p in paths]!r}], RecordingEngine(), Options(write=True))
        print(json.dumps(report.as_dict()))
    """
    result = run_limited(textwrap.dedent(script), memory_mb=memory_mb, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""  # no traceback, no Pillow warning
    return json.loads(result.stdout)


def docx_with(path: Path, member: str, size: int, declared: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        add_bomb(archive, member, size, declared)
    return path


def test_zip_bombs_are_refused_before_inflating(tmp_path: Path) -> None:
    docx = docx_with(tmp_path / "bomb.docx", "word/media/image1.png", 2 * 2**30)
    chapter = epub(tmp_path / "chapter.epub", "<p/>")
    with zipfile.ZipFile(chapter, "a") as archive:
        add_bomb(archive, "OEBPS/big.xhtml", 2 * 2**30)
    image = epub(tmp_path / "image.epub", '<img src="huge.png"/>')
    with zipfile.ZipFile(image, "a") as archive:
        add_bomb(archive, "OEBPS/huge.png", 3 * 2**30)
    ratio = docx_with(tmp_path / "ratio.docx", "word/media/flat.bmp", 64 * 2**20)
    good = page(tmp_path / "good.html", "red.png")
    (tmp_path / "red.png").write_bytes(png(RED))
    bombs = [docx, chapter, image, ratio]
    before = {path: path.read_bytes() for path in bombs}
    report = refuse_in_child([*bombs, good])
    errors = {Path(document["path"]).name: document["error"] for document in report["documents"]}
    for name in ("bomb.docx", "chapter.epub", "image.epub"):
        assert errors[name].startswith(f"{name} was left alone because it may be a zip bomb: its part ")
        assert "more than the 256 MB allowed." in errors[name] and "\n" not in errors[name]
    assert (
        "is compressed 1" in errors["ratio.docx"] and "far more than real content is." in errors["ratio.docx"]
    )
    assert errors["good.html"] == "" and alt_for(RED) in good.read_text()
    assert all(path.read_bytes() == data for path, data in before.items())
    assert [path.name for path in tmp_path.glob("*.orig.*")] == ["good.orig.html"]


def test_a_member_that_inflates_past_its_declared_size_is_damaged(tmp_path: Path) -> None:
    docx = docx_with(tmp_path / "liar.docx", "word/media/image1.png", 1024 * 2**20, declared=1000)
    report = refuse_in_child([docx], memory_mb=600)
    assert report["documents"][0]["error"].startswith(
        "liar.docx is not a valid Word file (the archive is damaged)"
    )


def test_pixel_bombs_are_refused_in_one_sentence_everywhere(tmp_path: Path) -> None:
    (tmp_path / "wide.png").write_bytes(png_bomb(30000, 30000))
    (tmp_path / "tall.png").write_bytes(png_bomb(13000, 13000))  # 169 million pixels, under Pillow's error
    (tmp_path / "red.png").write_bytes(png(RED))
    html = page(tmp_path / "page.html", "wide.png", "tall.png", "red.png")
    book = epub(tmp_path / "book.epub", '<img src="wide.png"/>', {"OEBPS/wide.png": png_bomb(30000, 30000)})
    report = refuse_in_child([html, book])
    (wide, tall, red), (in_book,) = (document["images"] for document in report["documents"])
    for image in (wide, tall, in_book):
        assert image["outcome"] == "failed"
        assert (
            "is too large to read safely (over 89 million pixels). Try a smaller copy of it."
            in image["reason"]
        )
    assert red["outcome"] == "written"


def test_pixel_bomb_gives_no_pillow_warning_in_describe(tmp_path: Path) -> None:
    from assistant.engine.images import ImageError, normalize_image

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageError, match="too large to read safely"):
            normalize_image(png_bomb(13000, 13000))


# --- a run survives every bad document ---------------------------------------------------------------------


def test_linked_pictures_in_word_are_skipped_and_the_run_goes_on(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    """python-docx's own test file: one embedded, one linked and one embedded-and-linked picture."""
    docx = tmp_path / "shapes.docx"
    docx.write_bytes((DATA / "shp-inline-shape-access.docx").read_bytes())
    other = page(tmp_path / "other.html", "red.png")
    (tmp_path / "red.png").write_bytes(png(RED))
    report = run([tmp_path], engine, Options(write=True))
    shapes = next(document for document in report.documents if document.path == docx)
    assert shapes.error == ""
    linked = [image for image in shapes.images if image.status is Status.LINKED]
    assert len(linked) == 1 and linked[0].outcome is Outcome.SKIPPED
    assert linked[0].reason == (
        "The picture is linked to file://localhost/Users/scanny/Dropbox/src/python-docx/features/steps/"
        "test_files/monty-truth.png rather than embedded in the file; use --allow-outside to read it."
    )
    assert alt_for(RED) in other.read_text()


def emf(width: int = 200, height: int = 100) -> bytes:
    """The header record of an Enhanced Metafile: enough for Pillow to know it, not to draw it."""
    header = struct.pack("<II4i4i4sIIIHHIIII2i2i", 1, 88, 0, 0, width, height, 0, 0, width * 26, height * 26,
                         b" EMF", 0x10000, 108, 2, 0, 0, 0, 0, 0, 0, 1920, 1080, 508, 285)  # fmt: skip
    return header + struct.pack("<III", 14, 20, 0) + bytes(8)


def test_vector_pictures_are_skipped_not_failed(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "clip.emf").write_bytes(emf())
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"/>')
    path = page(tmp_path / "page.html", "clip.emf", "logo.svg")
    report = run([path], engine, Options())
    for image in report.documents[0].images:
        assert (image.status, image.outcome) == (Status.VECTOR, Outcome.SKIPPED)
        assert (
            image.reason
            == "A vector picture (EMF, WMF or SVG), which cannot be described yet, so it was skipped."
        )
    assert not report.failed


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def runner_log():
    """What the runner logs, taken at its own logger: caplog's handler sits on the root logger, which
    the rest of a test process may rearrange (CI once saw nothing there, with the sentence right)."""
    logger, kept = logging.getLogger("assistant.documents.runner"), _Kept()
    logger.addHandler(kept)
    yield kept.records
    logger.removeHandler(kept)


def test_whatever_a_document_raises_is_one_sentence_and_the_rest_go_on(
    tmp_path: Path, engine: RecordingEngine, monkeypatch: pytest.MonkeyPatch, runner_log
) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    (tmp_path / "green.png").write_bytes(png(GREEN))
    first = page(tmp_path / "a.html", "red.png")
    (tmp_path / "b.md").write_text("![](green.png)\n")

    def broken(path, raw, access=None):
        raise ZeroDivisionError("a bug in a reader")

    monkeypatch.setitem(formats.OPENERS, ".md", broken)
    report = run([tmp_path], engine, Options(write=True))
    failed = next(document for document in report.documents if document.path.name == "b.md")
    assert failed.error == (
        "b.md could not be processed because of an unexpected problem (ZeroDivisionError); "
        "the details are in the log."
    )
    logger = logging.getLogger("assistant.documents.runner")
    assert [(record.getMessage(), str(record.exc_info[1])) for record in runner_log if record.exc_info] == [
        ("Unexpected problem with b.md", "a bug in a reader")  # the details, with the traceback
    ], (logger.disabled, logger.getEffectiveLevel(), logging.root.manager.disable)
    assert alt_for(RED) in first.read_text() and report.failed


def test_a_picture_whose_loader_raises_fails_alone(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    path = page(tmp_path / "a.html", "red.png", "red.png")
    document = formats.open_document(path, path.read_bytes())
    first = document.images[0]
    first.load = lambda: (_ for _ in ()).throw(RecursionError("deep"))
    monkey = {path: document}

    original = formats.open_document
    try:
        formats.open_document = lambda p, raw, access=None: monkey.get(p) or original(p, raw, access)
        report = run([path], engine, Options(write=True))
    finally:
        formats.open_document = original
    broken, good = report.documents[0].images
    assert broken.outcome is Outcome.FAILED and "unexpected problem (RecursionError)" in broken.reason
    assert good.outcome is Outcome.WRITTEN


# --- nothing lost, nothing misleading ----------------------------------------------------------------------


def test_a_users_own_orig_file_is_never_claimed_as_the_backup(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    path = page(tmp_path / "doc.html", "red.png")
    original = path.read_bytes()
    (tmp_path / "doc.orig.html").write_text("<p>the user's own older draft</p>\n")
    report = run([path], engine, Options(write=True))
    assert report.documents[0].backup == tmp_path / "doc.orig.1.html"
    assert (tmp_path / "doc.orig.1.html").read_bytes() == original
    assert (tmp_path / "doc.orig.html").read_text() == "<p>the user's own older draft</p>\n"
    # A second run keeps the first original and makes no new copy.
    report = run([path], engine, Options(write=True, overwrite=True))
    assert report.documents[0].backup == tmp_path / "doc.orig.1.html"
    assert (tmp_path / "doc.orig.1.html").read_bytes() == original
    assert not (tmp_path / "doc.orig.2.html").exists()


def test_folder_scans_skip_only_the_backups_this_tool_wrote(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    page(tmp_path / "doc.html", "red.png")
    real = page(tmp_path / "budget.orig.html", "red.png")  # a real document that happens to be named so
    run([tmp_path], engine, Options(write=True))
    report = run([tmp_path], engine, Options())
    assert (tmp_path / "budget.orig.orig.html").exists() and (tmp_path / "doc.orig.html").exists()
    assert sorted(document.path.name for document in report.documents) == ["budget.orig.html", "doc.html"]
    assert alt_for(RED) in real.read_text()


def test_a_symlinked_document_is_written_through_to_its_target(
    tmp_path: Path, engine: RecordingEngine
) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "red.png").write_bytes(png(RED))
    target = page(tmp_path / "shared" / "doc.html", "red.png")
    link = tmp_path / "shared" / "link.html"
    link.symlink_to("doc.html")
    from assistant.documents.report import print_text

    report = run([link], engine, Options(write=True))
    result = report.documents[0]
    assert link.is_symlink() and alt_for(RED) in target.read_text()
    assert result.written_to == target and result.backup == tmp_path / "shared" / "doc.orig.html"
    out = io.StringIO()
    print_text(report, out, written=True)
    assert f"Written through the link to {target}" in out.getvalue()


def test_a_hard_linked_document_is_refused_not_split(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    path = page(tmp_path / "doc.html", "red.png")
    os.link(path, tmp_path / "same.html")
    result = run([path], engine, Options(write=True)).documents[0]
    assert result.error == (
        "doc.html was left unchanged because it has 2 hard links, which replacing it would separate; "
        "copy it to a file of its own to add alt-text."
    )
    assert os.stat(path).st_nlink == 2 and "alt=" not in path.read_text()


def test_the_report_is_written_whole_or_not_at_all(
    tmp_path: Path, engine: RecordingEngine, monkeypatch
) -> None:
    import errno

    from assistant.documents import report as reporting

    (tmp_path / "red.png").write_bytes(png(RED))
    result = run([page(tmp_path / "doc.html", "red.png")], engine, Options())
    saved = tmp_path / "report.json"
    saved.write_text('{"earlier": true}')

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        reporting.save(result, saved)
    assert saved.read_text() == '{"earlier": true}'
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_alt_text_never_holds_replacement_or_control_characters() -> None:
    from assistant.documents.alttext import clean_description

    text = clean_description("a dog \ufffd on a \u202eweird\u202c beach\x07 \ufffc\U000f0000 at dusk")
    assert text == "A dog on a weird beach at dusk."


def test_deflated_zeros_inflate_to_what_they_say() -> None:
    import zlib

    from bombs import deflated_zeros

    assert zlib.decompress(deflated_zeros(3 * 2**20 + 5), -15) == bytes(3 * 2**20 + 5)
    assert zlib.decompress(deflated_zeros(1000, wrapper=True)) == bytes(1000)


def test_hostile_benchmark_refuses_every_bomb() -> None:
    from assistant.bench.hostile import bench_hostile

    results = bench_hostile()
    assert len(results) == 6
    for label, figures in results.items():
        assert "error" not in figures, (label, figures)
        assert figures["peak_mb"] > 0 and figures["seconds"] >= 0
        if label.startswith("baseline"):
            assert figures["refusal"] == ""
        else:
            assert "zip bomb" in figures["refusal"] or "too large to read safely" in figures["refusal"], label


def test_folder_scans_leave_links_to_documents_outside_alone(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "red.png").write_bytes(png(RED))
    mine = page(tmp_path / "mine" / "cv.html", "red.png")
    before = mine.read_bytes()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cv.html").symlink_to(mine)
    report = run([tmp_path / "shared"], engine, Options(write=True))
    assert report.documents[0].error == (
        "cv.html is a link to a file outside shared, so it was left alone; name it directly to add alt-text to it."
    )
    assert mine.read_bytes() == before and not (tmp_path / "mine" / "cv.orig.html").exists()


def test_an_image_map_over_a_pixel_bomb_is_refused(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "map.png").write_bytes(png_bomb(13000, 13000))
    path = tmp_path / "map.html"
    path.write_text(
        '<img src="map.png" usemap="#m" alt="map"><map name="m"><area href="/a" coords="0,0,9,9"></map>'
    )
    area = run([path], engine, Options()).documents[0].images[1]
    assert area.outcome is Outcome.FAILED and "too large to read safely" in area.reason


def test_a_pipe_named_as_a_document_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "page.html")
    script = f"""
        import json
        from pathlib import Path
        from doc_helpers import RecordingEngine
        from assistant.documents.runner import Options, run
        folder = Path({str(tmp_path)!r})
        report = run([folder / "page.html", folder], RecordingEngine(), Options())
        print(json.dumps([document.error for document in report.documents]))
    """
    result = run_limited(textwrap.dedent(script), memory_mb=600, timeout=60)
    errors = json.loads(result.stdout)
    assert len(errors) == 2 and all(
        "page.html is not a regular file (it is a device, pipe" in e for e in errors
    )


def test_backups_recorded_from_many_threads_are_all_kept(tmp_path: Path) -> None:
    import threading

    from assistant.documents import backups

    pairs = []
    for number in range(12):
        document = tmp_path / f"doc{number}.html"
        document.write_text(str(number))
        backup = tmp_path / f"doc{number}.orig.html"
        backup.write_text(str(number))
        pairs.append((backup, document))
    threads = [threading.Thread(target=backups.record, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(backups.is_ours(backup, document) for backup, document in pairs)
