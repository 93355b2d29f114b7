"""EPUB: every XHTML document inside gets alt-text; the archive stays valid (epubcheck)."""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from doc_helpers import BLUE, GREEN, RED, RecordingEngine, alt_for, png
from lxml import etree

from assistant.documents.model import Outcome, Status
from assistant.documents.runner import Options, run

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""
OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="en">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">urn:uuid:12345678-1234-4234-8234-123456789abc</dc:identifier>
    <dc:title>Test book</dc:title>
    <dc:language>en</dc:language>
    <meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="c1" href="text/chapter1.xhtml" media-type="application/xhtml+xml"/>
    <item id="c2" href="text/chapter%202.xhtml" media-type="application/xhtml+xml"/>
    <item id="red" href="images/red.png" media-type="image/png"/>
    <item id="blue" href="images/blue.png" media-type="image/png"/>
    <item id="green" href="images/green.png" media-type="image/png"/>
    <item id="css" href="style.css" media-type="text/css"/>
  </manifest>
  <spine><itemref idref="nav"/><itemref idref="c1"/><itemref idref="c2"/></spine>
</package>
"""
NAV = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>Contents</title></head>
<body><nav epub:type="toc"><ol><li><a href="text/chapter1.xhtml">One</a></li>
<li><a href="text/chapter%202.xhtml">Two</a></li></ol></nav></body></html>
"""
CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head><title>{title}</title><link rel="stylesheet" type="text/css" href="../style.css"/></head>
<body>
<!-- <img src="../images/red.png"/> -->
{body}
</body></html>
"""
BODY1 = """<h1>One</h1>
<p><img src="../images/red.png"{a}/></p>
<p><img src="../images/blue.png" alt=""/></p>
<p><img src="../images/green.png" alt="A green field"/></p>"""
BODY2 = """<h1>Two</h1>
<p><img src="../images/blue.png"{b}/> and again <img src='../images/red.png'{c}/></p>"""


def chapters(a: str = "", b: str = "", c: str = "") -> tuple[str, str]:
    def attr(value: str) -> str:
        return f' alt="{value}"' if value else ""

    return (
        CHAPTER.format(title="One", body=BODY1.format(a=attr(a))),
        CHAPTER.format(title="Two", body=BODY2.format(b=attr(b), c=attr(c))),
    )


def build_epub(path: Path, compress_mimetype: bool = False, second: str = "chapter 2.xhtml") -> None:
    """An EPUB 3; the second chapter's file name has a space by default (its href is %-escaped)."""
    one, two = chapters()
    href = urllib.parse.quote(second)
    with zipfile.ZipFile(path, "w") as archive:
        mimetype_type = zipfile.ZIP_DEFLATED if compress_mimetype else zipfile.ZIP_STORED
        archive.writestr("mimetype", "application/epub+zip", compress_type=mimetype_type)
        deflate = zipfile.ZIP_DEFLATED
        archive.writestr("META-INF/container.xml", CONTAINER, compress_type=deflate)
        archive.writestr("OEBPS/content.opf", OPF.replace("chapter%202.xhtml", href), compress_type=deflate)
        archive.writestr("OEBPS/nav.xhtml", NAV.replace("chapter%202.xhtml", href), compress_type=deflate)
        archive.writestr("OEBPS/text/chapter1.xhtml", one, compress_type=deflate)
        archive.writestr(f"OEBPS/text/{second}", two, compress_type=deflate)
        archive.writestr("OEBPS/style.css", "img { max-width: 100%; }\n", compress_type=deflate)
        archive.writestr("OEBPS/images/red.png", png(RED))
        archive.writestr("OEBPS/images/blue.png", png(BLUE))
        archive.writestr("OEBPS/images/green.png", png(GREEN), compress_type=deflate)


def test_epub(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "book.epub"
    build_epub(path)
    original = path.read_bytes()
    report = run([path], engine, Options(write=True))
    (result,) = report.documents
    assert [(i.location.split(",")[0], i.status, i.outcome) for i in result.images] == [
        ("OEBPS/text/chapter1.xhtml", Status.MISSING, Outcome.WRITTEN),
        ("OEBPS/text/chapter1.xhtml", Status.DECORATIVE, Outcome.SKIPPED),
        ("OEBPS/text/chapter1.xhtml", Status.HAS_ALT, Outcome.KEPT),
        ("OEBPS/text/chapter 2.xhtml", Status.MISSING, Outcome.WRITTEN),
        ("OEBPS/text/chapter 2.xhtml", Status.MISSING, Outcome.WRITTEN),
    ]
    before, after = zipfile.ZipFile(path.with_name("book.orig.epub")), zipfile.ZipFile(path)
    assert path.with_name("book.orig.epub").read_bytes() == original
    assert after.infolist()[0].filename == "mimetype"
    assert after.infolist()[0].compress_type == zipfile.ZIP_STORED
    one, two = chapters(a=alt_for(RED), b=alt_for(BLUE), c=alt_for(RED))
    assert after.read("OEBPS/text/chapter1.xhtml").decode() == one
    assert after.read("OEBPS/text/chapter 2.xhtml").decode() == two
    for info in before.infolist():
        if not info.filename.startswith("OEBPS/text/"):
            assert after.read(info.filename) == before.read(info.filename)
            assert after.getinfo(info.filename).compress_size == info.compress_size
    for name in ("OEBPS/text/chapter1.xhtml", "OEBPS/text/chapter 2.xhtml"):
        etree.fromstring(after.read(name))  # still well-formed XHTML


def test_mimetype_is_moved_first_and_stored(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "book.epub"
    build_epub(path, compress_mimetype=True)
    run([path], engine, Options(write=True, backup=False))
    first = zipfile.ZipFile(path).infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert zipfile.ZipFile(path).read("mimetype") == b"application/epub+zip"


def epubcheck_command() -> list[str] | None:
    """Debian's epubcheck is a jar; run it with java directly (binfmt may not be set up)."""
    found = shutil.which("epubcheck")
    if found is None or shutil.which("java") is None:
        return None
    real = Path(found).resolve()
    # One short check: the JIT's top tier and the parallel collector only cost start-up (half its time).
    quick = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    return ["java", *quick, "-jar", str(real)] if real.suffix == ".jar" else [found]


@pytest.mark.slow
@pytest.mark.skipif(epubcheck_command() is None, reason="epubcheck (Debian package) is not installed")
def test_written_epub_passes_epubcheck(tmp_path: Path, engine: RecordingEngine) -> None:
    path = tmp_path / "book.epub"
    build_epub(path, second="chapter2.xhtml")
    report = run([path], engine, Options(write=True, backup=False))
    assert report.documents[0].written
    command = [*epubcheck_command(), str(path)]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No errors or warnings detected" in checked.stdout
