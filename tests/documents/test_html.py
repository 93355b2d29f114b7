"""HTML: which images get alt-text, and that nothing else in the file changes."""

from __future__ import annotations

import base64
import http.server
import threading
from pathlib import Path

import lxml.html
import pytest
from doc_helpers import BLUE, GREEN, RED, YELLOW, RecordingEngine, alt_for, png
from lxml import etree

from assistant.documents.model import Outcome, Status
from assistant.documents.runner import Options, run

DATA_URI = "data:image/png;base64," + base64.b64encode(png(GREEN)).decode()

# {name} marks where an alt attribute is expected to appear; everything else must stay as written.
TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test &amp; <img src="red.png"></title>
<style>img > .x {{ content: "<img src='red.png'>" }}</style>
<script>var s = "<img src='red.png'>"; if (a < b) {{}}</script></head>
<body>
<!-- <img src="red.png"> -->
<p>Missing: <img src="red.png" width="32"{missing}></p>
<p>Same picture, other name: <img src='copy-of-red.png'{duplicate}></p>
<p>Unquoted and self-closing: <IMG SRC=blue.png{unquoted} /></p>
<p>Suspicious: <img alt="image" src="yellow.png"> and <img src="blue.png" alt="blue.png"></p>
<p>Decorative: <img src="red.png" alt=""> <img src="red.png" role="presentation"> <img src="red.png" aria-hidden="true"></p>
<p>Labelled: <img src="red.png" aria-label="Red flag"></p>
<p>Has alt: <img src="blue.png" alt="A blue square"></p>
<p>Tiny tracker: <img src="pixel.gif"></p>
<p>Inline data: <img src="{data_uri}"{data}></p>
<p>Remote: <img src="https://example.com/photo.jpg"></p>
<p>Missing file: <img src="gone.png"></p>
<form><input type="image" src="yellow.png" name="go"{button}></form>
<img src="map.png" usemap="#nav"{map_image}>
<map name="nav"><area shape="rect" coords="0,0,20,20" href="/left"{area}><area shape="rect" coords="20,0,40,20" href="/right" alt="Right"></map>
<textarea><img src="red.png"></textarea>
</body></html>
"""
PLACES = ("missing", "duplicate", "unquoted", "data", "button", "map_image", "area")


def render(**alts: str) -> bytes:
    filled = {place: f' alt="{alts[place]}"' if place in alts else "" for place in PLACES}
    return TEMPLATE.format(data_uri=DATA_URI, **filled).encode()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "red.png").write_bytes(png(RED))
    (tmp_path / "copy-of-red.png").write_bytes(png(RED))
    (tmp_path / "blue.png").write_bytes(png(BLUE))
    (tmp_path / "yellow.png").write_bytes(png(YELLOW))
    (tmp_path / "pixel.gif").write_bytes(png("white", (1, 1), "GIF"))
    map_picture = png(GREEN, (40, 20))
    (tmp_path / "map.png").write_bytes(map_picture)
    page = tmp_path / "page.html"
    page.write_bytes(render())
    return page


def expected_alts() -> dict[str, str]:
    return {
        "missing": alt_for(RED),
        "duplicate": alt_for(RED),
        "unquoted": alt_for(BLUE),
        "data": alt_for(GREEN),
        "button": alt_for(YELLOW),
        "map_image": alt_for(GREEN),
        "area": alt_for(GREEN),
    }


def test_dry_run_reports_every_image_and_writes_nothing(site: Path, engine: RecordingEngine) -> None:
    report = run([site], engine)
    assert site.read_bytes() == render()
    assert not (site.parent / "page.orig.html").exists()
    (document,) = report.documents
    statuses = [(image.status, image.outcome) for image in document.images]
    assert statuses == [
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.SUSPICIOUS, Outcome.KEPT),
        (Status.SUSPICIOUS, Outcome.KEPT),
        (Status.DECORATIVE, Outcome.SKIPPED),
        (Status.DECORATIVE, Outcome.SKIPPED),
        (Status.DECORATIVE, Outcome.SKIPPED),
        (Status.HAS_ALT, Outcome.KEPT),
        (Status.HAS_ALT, Outcome.KEPT),
        (Status.TOO_SMALL, Outcome.SKIPPED),
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.REMOTE, Outcome.SKIPPED),
        (Status.FAILED, Outcome.FAILED),
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.MISSING, Outcome.WOULD_WRITE),
        (Status.HAS_ALT, Outcome.KEPT),
    ]
    assert "gone.png was not found" in document.images[13].reason
    assert report.failed


def test_write_changes_exactly_the_missing_alts(site: Path, engine: RecordingEngine) -> None:
    report = run([site], engine, Options(write=True))
    assert site.read_bytes() == render(**expected_alts())
    assert (site.parent / "page.orig.html").read_bytes() == render()
    # Seven images, six distinct pictures: red appears under two names (the map picture, the
    # green data: URI and the area's crop share a colour but differ in size, so they are distinct).
    assert sum(engine.batches) == report.described == 6
    assert report.documents[0].written


def test_fix_suspicious_and_overwrite(site: Path, engine: RecordingEngine) -> None:
    run([site], engine, Options(write=True, fix_suspicious=True, overwrite=True, backup=False))
    text = site.read_text()
    assert f'<img alt="{alt_for(YELLOW)}" src="yellow.png">' in text
    assert f'<img src="blue.png" alt="{alt_for(BLUE)}">' in text
    assert f'<img src="red.png" aria-label="Red flag" alt="{alt_for(RED)}">' in text
    assert '<img src="red.png" alt="">' in text  # decorative stays decorative
    assert '<area shape="rect" coords="20,0,40,20" href="/right" alt="Right">' not in text
    assert not (site.parent / "page.orig.html").exists()


def test_second_run_finds_nothing_to_do(site: Path, engine: RecordingEngine) -> None:
    run([site], engine, Options(write=True))
    written = site.read_bytes()
    again = RecordingEngine()
    report = run([site], again, Options(write=True))
    assert again.batches == []
    assert site.read_bytes() == written
    assert not report.documents[0].written


def accessible_name_problems(document: bytes) -> list[str]:
    """The check axe-core's image-alt rule makes: every <img> has alt-text or is marked decorative."""
    root = lxml.html.document_fromstring(document)
    problems = []
    for img in root.iter("img", "input", "area"):
        if img.tag == "input" and img.get("type") != "image":
            continue
        if img.tag == "area" and img.get("href") is None:
            continue
        role = (img.get("role") or "").split()
        if img.tag == "img" and (
            role[:1] in (["presentation"], ["none"]) or img.get("aria-hidden") == "true"
        ):
            continue
        if img.get("alt") is None and not (img.get("aria-label") or "").strip():
            problems.append(etree.tostring(img, encoding="unicode"))
    return problems


def test_written_html_passes_the_image_alt_check_and_parses(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "ok.html"
    page.write_text(
        '<!doctype html><html><head><title>t</title></head><body><img src="red.png">'
        '<p>Text <img src="red.png" alt=""></p><input type="image" src="red.png"></body></html>'
    )
    assert len(accessible_name_problems(page.read_bytes())) == 2
    run([page], RecordingEngine(replies={RED: 'a sign saying "Tom & Jerry" <b>'}), Options(write=True))
    assert accessible_name_problems(page.read_bytes()) == []
    root = lxml.html.document_fromstring(page.read_bytes())
    assert [img.get("alt") for img in root.iter("img", "input")] == [
        'A sign saying "Tom & Jerry" <b>.',
        "",
        'A sign saying "Tom & Jerry" <b>.',
    ]


def test_xhtml_is_written_as_well_formed_xml(tmp_path: Path, engine: RecordingEngine) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "page.xhtml"
    page.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>'
        "<script><![CDATA[ var x = \"<img src='red.png'/>\"; ]]></script></head>"
        '<body><img src="red.png"/></body></html>'
    )
    run([page], RecordingEngine(replies={RED: "fish & chips"}), Options(write=True))
    root = etree.fromstring(page.read_bytes())
    (img,) = root.iter("{http://www.w3.org/1999/xhtml}img")
    assert img.get("alt") == "Fish & chips."


def test_legacy_encoding_round_trips(tmp_path: Path) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "old.htm"
    original = (
        '<html><head><meta charset="windows-1252"></head><body>Caf\xe9 <img src="red.png"></body></html>'
    )
    page.write_bytes(original.encode("cp1252"))
    run([page], RecordingEngine(replies={RED: "café sign with a ☕ cup"}), Options(write=True))
    expected = original.replace('"red.png"', '"red.png" alt="Café sign with a &#9749; cup."')
    assert page.read_bytes() == expected.encode("cp1252")


class _ImageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = png(BLUE)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_remote_images_are_fetched_only_when_allowed(tmp_path: Path) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _ImageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = tmp_path / "remote.html"
        page.write_text(f'<img src="http://127.0.0.1:{server.server_port}/blue.png">')
        report = run([page], RecordingEngine())
        assert report.documents[0].images[0].status is Status.REMOTE
        assert not report.failed
        report = run([page], RecordingEngine(), Options(fetch_remote=True))
        assert report.documents[0].images[0].new_alt == alt_for(BLUE)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
