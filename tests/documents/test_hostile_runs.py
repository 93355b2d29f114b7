"""Issue 21, runs and output: whatever the number and size of documents and pictures, a run holds one batch
in memory; names that are not UTF-8 or that carry terminal commands never stop or forge the output.

Each case runs in a child with a memory cap and a deadline, so that a regression fails here instead of
taking the machine down."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

# The child's own address space with the runner loaded is about 50 MB; each cap below is far under what
# the case took before its fix.


def jpeg(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=50)
    return buffer.getvalue()


def distinct(index: int) -> tuple[int, int, int]:
    return (index * 37 % 256, index * 91 % 256, 255 - index % 256)


def child(script: str, memory_mb: int, timeout: float = 120, **env: str) -> tuple[int, bytes, bytes]:
    """Run Python code in a child with at most `memory_mb` of address space and `timeout` seconds;
    returns its exit status and the raw bytes it printed."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    path = os.pathsep.join([str(Path(__file__).parent), *sys.path])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        preexec_fn=limit,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path, **env},
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def run_in_child(paths: list[Path], memory_mb: int, **options: object) -> dict:
    script = f"""
        import json
        from pathlib import Path
        from doc_helpers import RecordingEngine
        from assistant.documents.runner import Options, run
        engine = RecordingEngine()
        report = run([Path(p) for p in {[str(p) for p in paths]!r}], engine, Options(**{options!r}))
        print(json.dumps({{"report": report.as_dict(), "batches": engine.batches}}))
    """
    status, stdout, stderr = child(script, memory_mb)
    assert status == 0, stderr[-2000:]
    return json.loads(stdout)


def test_one_document_with_many_large_pictures_decodes_one_batch_at_a_time(tmp_path: Path) -> None:
    # 40 distinct 2000x2000 photos are 480 MB decoded; all were decoded before the first was described
    # (60 of them peaked at 1 GB, 500 at 7.2 GB). Now the peak is about 150 MB.
    count = 40
    for index in range(count):
        (tmp_path / f"p{index}.jpg").write_bytes(jpeg(distinct(index), (2000, 2000)))
    page = tmp_path / "album.html"
    page.write_text("".join(f'<img src="p{index}.jpg">' for index in range(count)))
    out = run_in_child([page], memory_mb=300, batch_size=4)
    summary = out["report"]["summary"]
    assert summary["images"] == count and summary.get("would-write") == count
    assert out["batches"] == [4] * (count // 4)


def test_many_large_documents_are_read_a_few_at_a_time(tmp_path: Path) -> None:
    # 24 documents of 10 MB, each with one picture: all were read before any picture was described (40 of
    # them peaked at 880 MB). Now a few are held at once, about 140 MB.
    (tmp_path / "red.png").write_bytes(jpeg((255, 0, 0), (64, 64)))
    padding = "<!--" + "x" * (10 * 2**20) + "-->"
    for index in range(24):
        (tmp_path / f"d{index:02}.html").write_text(f'{padding}<img src="red.png">')
    out = run_in_child([tmp_path], memory_mb=300)
    summary = out["report"]["summary"]
    assert summary["documents"] == 24 and summary.get("would-write") == 24
    assert sum(out["batches"]) == 1  # one picture, described once however many documents show it


def run_cli_in_child(
    arguments: list[str], memory_mb: int = 600, timeout: float = 60
) -> tuple[int, bytes, bytes]:
    """`assistant ARGUMENTS` with the recording engine, stdout and stderr strict UTF-8 (as under
    en_US.UTF-8, where a name that is not UTF-8 once raised UnicodeEncodeError)."""
    script = f"""
        import os, sys
        from doc_helpers import RecordingEngine
        import assistant.cli.documents
        assistant.cli.documents.load_for_command = lambda args: RecordingEngine()
        from assistant.cli import main
        sys.exit(main([os.fsdecode(argument) for argument in {[os.fsencode(a) for a in arguments]!r}]))
    """
    return child(script, memory_mb, timeout=timeout, PYTHONIOENCODING="utf-8:strict")


def test_names_that_are_not_utf8_or_carry_terminal_commands_are_printed_escaped(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    (tmp_path / "red.png").write_bytes(jpeg((255, 0, 0), (64, 64)))
    with open(folder + b"/bad\xff.html", "wb") as file:
        file.write(b'<img src="x\xff.png"><img src="red.png">')
    forged = '<img src="%1b[2J%1b[1;31mFAKE: all documents written%07.png"><img src="red.png">'
    (tmp_path / "evil\x1b[2J\r\nSummary: 0 failed\u202e.html").write_text(forged)
    report = tmp_path / "r.json"
    status, stdout, stderr = run_cli_in_child(["alt-text", str(tmp_path), "--write", "--report", str(report)])
    assert status == 1, stderr.decode(errors="replace")  # the missing pictures failed, nothing else
    for control in (b"\x1b", b"\x07", b"\r", b"\xff", "\u202e".encode()):
        assert control not in stdout and control not in stderr
    text = stdout.decode()
    assert "bad\\xff.html" in text and "evil\\x1b[2J\\r\\nSummary: 0 failed\\u202e.html" in text
    assert [line for line in text.splitlines() if line.startswith("Summary:")] == [text.splitlines()[-1]]
    saved = json.loads(report.read_text(encoding="utf-8"))  # saved, and valid UTF-8 JSON
    names = {Path(document["path"]).name for document in saved["documents"]}
    assert names == {"bad\udcff.html", "evil\x1b[2J\r\nSummary: 0 failed\u202e.html"}
    for document in saved["documents"]:  # the good picture beside the bad one was written in both
        assert document["written"] and document["images"][1]["outcome"] == "written"


def thin_strip(path: Path, size: tuple[int, int]) -> Path:
    picture = Image.new("RGB", size, "white")
    ImageDraw.Draw(picture).rectangle((100, 0, 5000, size[1] - 1), fill="black")
    picture.save(path)
    return path


def sign(path: Path) -> Path:
    picture = Image.new("RGB", (360, 120), "white")
    ImageDraw.Draw(picture).text(
        (20, 30), "OPEN 24 HOURS", fill="black", font=ImageFont.load_default(size=40)
    )
    picture.save(path)
    return path


def test_a_thin_picture_has_no_text_and_the_pictures_after_it_are_read(tmp_path: Path) -> None:
    # RapidOCR stretched a 29000x3 strip to billions of pixels: a minute, then ResizeImgError, and the
    # pictures after it were never read.
    # The second's name would clear the screen: it is printed escaped.
    thin = thin_strip(tmp_path / "thin.png", (29000, 3))
    named = sign(tmp_path / "sign\x1b[2J.png")
    script = f"""
        import sys
        from assistant.cli import main
        sys.exit(main(["read-text", {str(thin)!r}, {str(named)!r}]))
    """
    status, stdout, stderr = child(script, memory_mb=4096, timeout=60)
    assert status == 0, stderr.decode(errors="replace")[-2000:]
    assert stdout.decode().splitlines() == [f"{thin}:", f"{tmp_path}/sign\\x1b[2J.png:", "OPEN 24 HOURS"]


def test_alt_text_with_ocr_goes_on_past_a_thin_picture(tmp_path: Path) -> None:
    thin_strip(tmp_path / "strip.png", (29000, 16))
    (tmp_path / "red.png").write_bytes(jpeg((255, 0, 0), (64, 64)))
    (tmp_path / "a.html").write_text('<img src="strip.png">')
    (tmp_path / "b.html").write_text('<img src="red.png">')
    status, stdout, stderr = run_cli_in_child(
        ["alt-text", str(tmp_path), "--write", "--include-ocr"], memory_mb=4096
    )
    assert status == 0, (stdout + stderr).decode(errors="replace")[-2000:]
    assert 'alt="' in (tmp_path / "a.html").read_text() and 'alt="' in (tmp_path / "b.html").read_text()


def build_corpus(folder: Path) -> tuple[list[Path], list[Path]]:
    """The first round's bombs and this round's hostile documents in one folder, each beside good ones;
    returns (bad, good)."""
    from hostile2 import (
        EPS,
        docx,
        docx_node_bomb,
        docx_with_pictures,
        flate_bomb_pdf,
        html_with_images,
        percent_data_uri,
        picture,
        zip_with_entries,
    )

    from assistant.bench.hostile import make_hostile

    first = folder / "first"
    first.mkdir()
    bad = [path for label, path in make_hostile(first).items() if not label.startswith("baseline")]
    red = jpeg((255, 0, 0), (64, 64))
    (folder / "red.png").write_bytes(red)
    (folder / "eps.png").write_bytes(EPS)
    (folder / "eps.html").write_text('<img src="eps.png">')
    (folder / "brackets.md").write_text("![" * 102_400)
    (folder / "angles.md").write_text("a < b " * 34_133)
    # A tenth of the 100,000 and 15,000 (test_hostile_parsing opens those): each picture is
    # still loaded, and that is linear time the rest of the corpus need not wait for here.
    html_with_images(folder / "many.html", 10_000)
    docx_with_pictures(folder / "pictures.docx", 1_500, red)
    docx_node_bomb(folder / "nodes.docx", 40, red)
    zip_with_entries(folder / "entries.docx", 1_500_000)
    (folder / "percent.html").write_text(f'<img src="{percent_data_uri(47)}">')
    (folder / "flate.pdf").write_bytes(flate_bomb_pdf(100))
    thin_strip(folder / "thin.png", (29000, 16))
    (folder / "thin.html").write_text('<img src="thin.png">')
    with open(os.fsencode(folder) + b"/bad\xff.html", "wb") as file:
        file.write(b'<img src="x\xff.png">')
    (folder / "evil\x1b[2J\nSummary: 0 failed.html").write_text('<img src="%1b[2J%1b[1;31mFAKE%07.png">')
    bad += [
        folder / name
        for name in (
            "eps.html", "brackets.md", "angles.md", "many.html", "pictures.docx", "nodes.docx",
            "entries.docx", "percent.html", "flate.pdf", "thin.html", "bad\udcff.html",
            "evil\x1b[2J\nSummary: 0 failed.html",
        )
    ]  # fmt: skip
    good = [folder / "good.html", folder / "good.md", folder / "good.docx", first / "good.html"]
    good[0].write_text('<p><img src="red.png"></p>')
    good[1].write_text("![](red.png)\n")
    docx(good[2], picture(1), red)
    (first / "red.png").write_bytes(red)
    good[3].write_text('<img src="red.png">')
    return bad, good


@pytest.mark.slow
def test_the_whole_hostile_corpus_in_one_run_writes_every_good_document(tmp_path: Path) -> None:
    bad, good = build_corpus(tmp_path)
    report = tmp_path / "report.json"
    status, stdout, stderr = run_cli_in_child(
        ["alt-text", str(tmp_path), "--write", "--report", str(report), "--max-image-mb", "4"],
        memory_mb=2048,
        timeout=300,  # a hang guard only
    )
    said = (stdout + stderr).decode(errors="replace")
    assert status == 1, said[-3000:]  # the bad ones failed; nothing stopped the run
    assert b"Traceback" not in stderr and b"\x1b" not in stdout + stderr, said[-3000:]
    saved = json.loads(report.read_text(encoding="utf-8"))
    documents = {document["path"]: document for document in saved["documents"]}
    for path in good:
        assert documents[str(path)]["written"], documents[str(path)]
    assert 'alt="' in good[0].read_text() and "![A " in good[1].read_text()
    for path in bad:
        assert str(path) in documents, path  # each is in the report, with its own outcome
        # Many pictures and a thin one are only heavy: their pictures are good, and are written.
        heavy = path.name in {"many.html", "pictures.docx", "thin.html"}
        assert documents[str(path)]["written"] is heavy, documents[str(path)]


def test_a_picture_shown_many_times_is_decoded_once(tmp_path: Path, monkeypatch) -> None:
    # 100,000 <img> of one file decoded it 100,000 times: 110 s for a 2.6 MB page.
    from doc_helpers import RecordingEngine

    from assistant.documents import runner

    decoded: list[object] = []
    normalize = runner.normalize_image
    monkeypatch.setattr(runner, "normalize_image", lambda *a, **k: decoded.append(a) or normalize(*a, **k))
    (tmp_path / "red.png").write_bytes(jpeg((255, 0, 0), (64, 64)))
    (tmp_path / "copy.png").write_bytes(jpeg((255, 0, 0), (64, 64)))
    (tmp_path / "blue.png").write_bytes(jpeg((0, 0, 255), (64, 64)))
    page = tmp_path / "page.html"
    page.write_text('<img src="red.png">' * 1000 + '<img src="copy.png"><img src="blue.png">')
    report = runner.run([page], RecordingEngine(), runner.Options(batch_size=4))
    assert len(decoded) == 2  # red.png and its copy have the same bytes; blue.png
    alts = {image.new_alt for image in report.documents[0].images}
    assert len(report.documents[0].images) == 1002 and len(alts) == 2 and None not in alts
