"""Documents written to hurt the parsers (issue 21, second round): each is built small at the size the
issue gives, then opened in a child process with limited memory and a deadline, so that a regression
fails here (MemoryError, or the deadline as a hang guard) instead of stopping the machine."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path

import pytest
from bombs import run_limited
from doc_helpers import RED, png
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

# Each case opens a document in a child process with a memory cap: seconds each, so the full run only.
pytestmark = pytest.mark.slow
GHOSTSCRIPT = "#!/bin/sh\ntouch {marker}\nexit 1\n"
DESCRIBE = """from assistant.engine.images import ImageError, normalize_image
    try:
        normalize_image({eps!r})
        described = "read"
    except ImageError as error:
        described = str(error)
    print(json.dumps([report.as_dict(), described]))"""


def in_child(script: str, memory_mb: int = 1000, timeout: float = 60, env: dict | None = None) -> dict:
    """Run `script` (which prints one JSON value last) in a limited child; its output, parsed."""
    old = os.environ.copy()
    os.environ.update(env or {})
    try:
        result = run_limited(textwrap.dedent(script), memory_mb=memory_mb, timeout=timeout)
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == "", result.stderr[-3000:]  # no traceback, no warning
    return json.loads(result.stdout.splitlines()[-1])


RUN = """
    import json
    from pathlib import Path
    from doc_helpers import RecordingEngine
    from assistant.documents.runner import Options, run
    report = run([Path(p) for p in {paths!r}], RecordingEngine(), Options({options}))
    print(json.dumps(report.as_dict()))
"""


def run_in_child(paths: list[Path], options: str = "write=True", **limits: object) -> dict:
    return in_child(RUN.format(paths=[str(p) for p in paths], options=options), **limits)  # type: ignore[arg-type]


def reasons(report: dict) -> dict[str, list[str]]:
    return {
        Path(document["path"]).name: [image["reason"] for image in document["images"]]
        for document in report["documents"]
    }


# --- 1: only the picture formats meant to be read ---------------------------------------------------------


def test_postscript_named_png_is_not_a_picture_and_runs_no_program(tmp_path: Path) -> None:
    """Pillow hands EPS to Ghostscript; a stand-in `gs` on the PATH shows whether anything asked for it."""
    tools, scratch = tmp_path / "bin", tmp_path / "tmp"
    tools.mkdir()
    scratch.mkdir()
    marker = tmp_path / "ghostscript-ran"
    gs = tools / "gs"
    gs.write_text(GHOSTSCRIPT.format(marker=marker))
    gs.chmod(gs.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "eps.png").write_bytes(EPS)
    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "page.html"
    page.write_text('<img src="eps.png"><img src="red.png">\n')
    word = docx(tmp_path / "word.docx", picture(1), EPS)
    script = RUN.replace("print(json.dumps(report.as_dict()))", DESCRIBE)
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(scratch)}
    report, described = in_child(
        script.format(paths=[str(page), str(word)], options="write=True", eps=str(tmp_path / "eps.png")),
        env=env,
    )
    found = reasons(report)
    not_a_picture = "is not an image that can be read. Try saving it again as PNG or JPEG."
    assert found["page.html"][0] == f"The image eps.png {not_a_picture}"
    assert found["page.html"][1] == ""  # the good picture beside it is written
    assert found["word.docx"][0] == f"The image word/media/image1.png {not_a_picture}"
    assert described == f"The file eps.png {not_a_picture}"
    assert not marker.exists()
    assert list(scratch.iterdir()) == []


# --- 2, 3: no quadratic scans (the deadlines only guard against a hang) -------------------------------------

OPEN = """
    import json
    from pathlib import Path
    from assistant.documents import formats
    found = {{}}
    for name, text in {texts}:
        document = formats.open_document(Path(name), text.encode())
        found[name] = [image.location for image in document.images]
    print(json.dumps(found))
"""


def test_markdown_of_unclosed_brackets_and_angles_is_read_in_one_pass() -> None:
    """Each unclosed `![` or `<` was scanned on to the end of the text: 200 KB ran past two minutes."""
    # Built in the child: the texts are too long for its command line.
    texts = """[
        ("brackets.md", "![" * 102400),
        ("less-than.md", "a < b " * 34133),
        ("labels.md", "\\n[" * 102400),
        ("angle.md", "![a](<" * 34133),
        ("titles.md", "![a](b (" * 25000 + '![a](b "' * 25000),
        ("parentheses.md", "![a](b(" * 30000),
        ("tags.md", '<a x="' * 34133 + "<a x=" * 34133),
        ("backticks.md", "".join("`" * run + "a" for run in range(1, 640))),
        ("good.md", "![a](b.png) `code ![c](d.png)` <img src='e.png'>\\n\\n![f][g]\\n\\n[g]: h.png\\n"),
    ]"""
    found = in_child(OPEN.format(texts=textwrap.indent(texts, "    ").strip()), timeout=120)
    assert found.pop("good.md") == [
        "line 1, ![a](b.png)",
        "line 1, <img src='e.png'>",
        "line 3, ![f](h.png)",
    ]
    names = ["brackets", "less-than", "labels", "angle", "titles", "parentheses", "tags", "backticks"]
    assert found == {f"{name}.md": [] for name in names}


def test_word_with_15000_pictures_opens_and_writes_in_one_pass(tmp_path: Path) -> None:
    """Each picture counted every `docPr` of the part before it: 15,000 pictures ran past two minutes."""
    word = docx_with_pictures(tmp_path / "many.docx", 15000, png(RED))
    script = """
        import io, json
        from pathlib import Path
        from assistant.documents import formats
        from lxml import etree
        path = Path({path!r})
        document = formats.open_document(path, path.read_bytes())
        out = io.BytesIO()
        document.save({{index: f"picture {{index}}" for index in range(len(document.images))}}, out)
        written = formats.open_document(path, out.getvalue())
        print(json.dumps([image.current_alt for image in written.images]))
    """
    alts = in_child(script.format(path=str(word)), timeout=120)
    assert alts == [f"picture {index}" for index in range(15000)]


def test_html_with_100000_images_numbers_its_lines_in_one_pass(tmp_path: Path) -> None:
    """Each tag's line was counted from the start of the file: 100,000 `<img>` (2.6 MB) took 68 s."""
    page = html_with_images(tmp_path / "many.html", 100000)
    script = """
        import json
        from pathlib import Path
        from assistant.documents import formats
        path = Path({path!r})
        document = formats.open_document(path, path.read_bytes())
        print(json.dumps([image.location for image in document.images[::25000]] + [len(document.images)]))
    """
    found = in_child(script.format(path=str(page)), timeout=120)
    assert found == [f"line {line}, <img src='red.png'>" for line in (2, 25002, 50002, 75002)] + [100000]


# --- 5, 13: bounds on what a package may hold -------------------------------------------------------------


def test_word_node_bomb_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """40 MB of `<a/>` in a 670 KB file pass the ratio check (86x); lxml and the writer took 3.25 GB."""
    bomb = docx_node_bomb(tmp_path / "nodes.docx", 40, png(RED))
    (tmp_path / "red.png").write_bytes(png(RED))
    good = html_with_images(tmp_path / "good.html", 1)
    report = run_in_child([bomb, good], memory_mb=700)
    errors = {Path(document["path"]).name: document["error"] for document in report["documents"]}
    assert errors["nodes.docx"] == (
        "nodes.docx was left alone because its part word/document.xml holds more than 2,000,000 "
        "elements, the most read in one part; split it into smaller documents."
    )
    assert errors["good.html"] == "" and 'alt="' in good.read_text()


def test_zip_of_a_million_and_a_half_entries_is_refused_before_listing_them(tmp_path: Path) -> None:
    """zipfile made an object of each entry before they could be counted: 1.22 GB and 13 s."""
    archive = zip_with_entries(tmp_path / "entries.docx", 1_500_000)
    report = run_in_child([archive], memory_mb=600)
    assert report["documents"][0]["error"] == (
        "entries.docx was left alone because it may be a zip bomb: it lists 1,500,000 parts, "
        "more than the 100,000 allowed."
    )


# --- 7, 14: data: URIs ------------------------------------------------------------------------------------


def test_percent_encoded_data_uri_is_decoded_in_bounded_memory_and_never_quoted_whole(tmp_path: Path) -> None:
    """47 MB of `%00` peaked at 1.9 GB, and the failure line quoted the whole URI."""
    (tmp_path / "red.png").write_bytes(png(RED))
    uri = percent_data_uri(47)
    big = tmp_path / "big.html"
    big.write_text(f'<img src="{uri}"><img src="red.png">\n')
    report = run_in_child([big], memory_mb=800, timeout=120)
    (embedded, good) = report["documents"][0]["images"]
    assert embedded["reason"] == (
        f"The image {uri[:60]}... (47 MB in all) "
        "is not an image that can be read. Try saving it again as PNG or JPEG."
    )
    assert len(embedded["source"]) < 120 and len(embedded["location"]) < 200
    assert good["outcome"] == "written"


def test_max_image_mb_applies_to_data_uris(tmp_path: Path) -> None:
    """A 5 MB embedded picture was read with a 1 MB limit."""
    import base64

    picture = png(RED) + bytes(5 * 2**20)  # a PNG with 5 MB after its end
    page = tmp_path / "page.html"
    encoded = base64.b64encode(picture).decode()
    percent = "".join(f"%{byte:02x}" for byte in picture[: 2 * 2**20])
    page.write_text(f'<img src="data:image/png;base64,{encoded}"><img src="data:image/png,{percent}">\n')
    report = run_in_child([page], options="max_image_bytes=2**20")
    limit = (
        "is larger than 1 MB, the most read for one picture; raise the limit with --max-image-mb to read it."
    )
    assert [image["reason"] for image in report["documents"][0]["images"]] == [
        f"The picture in a data: URI {limit}",
        f"The picture in a data: URI {limit}",
    ]
    report = run_in_child([page], options="max_image_bytes=6 * 2**20")
    assert [image["outcome"] for image in report["documents"][0]["images"]] == ["would-write"] * 2


# --- 15: what a document means, and naming a PDF bomb --------------------------------------------------------


def test_bare_alt_is_decorative_and_srcset_without_src_gives_the_picture(tmp_path: Path) -> None:
    from doc_helpers import RecordingEngine

    from assistant.documents.runner import Options, run

    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "page.html"
    page.write_text(
        '<img src="red.png" alt><img srcset=" red.png 1x, blue.png 2x"><img alt="" src="red.png">\n'
    )
    report = run([page], RecordingEngine(), Options())
    bare, srcset, empty = report.documents[0].images
    assert (bare.status.value, bare.outcome.value) == ("decorative", "skipped")
    assert (empty.status.value, empty.outcome.value) == ("decorative", "skipped")
    assert (srcset.source, srcset.outcome.value, srcset.size) == ("red.png", "would-write", (32, 24))


def test_pdf_flate_bomb_says_what_it_is(tmp_path: Path) -> None:
    """A picture's stream that inflates past pypdf's limit was "an unexpected problem (LimitReachedError)"."""
    pdf = tmp_path / "bomb.pdf"
    pdf.write_bytes(flate_bomb_pdf(100))
    report = run_in_child([pdf], memory_mb=800)
    assert report["documents"][0]["images"][0]["reason"] == (
        "The image image was left alone because it may be a decompression bomb: it unpacks to more than "
        "the 75 MB allowed for one stream."
    )


def test_long_names_and_links_are_quoted_short(tmp_path: Path) -> None:
    """A picture's name or link is quoted in messages and the report; a megabyte of it must not be."""
    import zipfile

    from assistant.documents import formats

    long = "n" * 2**20
    body = picture(1).replace('name="Picture 1"', f'name="{long}"').replace("rId1", "rId2")
    word = docx(tmp_path / "long.docx", body + picture(2))
    with zipfile.ZipFile(word) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    link = f'<Relationship Id="rId2" Type="image" Target="file:///{long}.png" TargetMode="External"/>'
    rels = "word/_rels/document.xml.rels"
    members[rels] = members[rels].replace(b"</Relationships>", link.encode() + b"</Relationships>")
    with zipfile.ZipFile(word, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    document = formats.open_document(word, word.read_bytes())
    linked, embedded = document.images
    assert len(linked.location) < 200 and "(1 MB in all)" in linked.location
    assert len(linked.source) < 200 and len(linked.reason) < 300
    assert embedded.source == "word/media/image1.png"


def test_a_long_src_is_quoted_short(tmp_path: Path) -> None:
    from doc_helpers import RecordingEngine

    from assistant.documents.runner import Options, run

    page = tmp_path / "page.html"
    page.write_text(f'<img src="{"a" * 2**20}.png"><img src="{"b" * 2**20}:x">\n')
    missing, scheme = run([page], RecordingEngine(), Options()).documents[0].images
    assert missing.reason.startswith("The image file aaa") and missing.reason.endswith(
        "(1 MB in all) could not be read (the name is too long)."
    )
    assert len(missing.reason) < 200 and len(scheme.reason) < 200 and len(missing.location) < 200


def test_a_long_epub_member_is_quoted_short(tmp_path: Path) -> None:
    import zipfile

    from doc_helpers import epub

    from assistant.documents import formats
    from assistant.documents.model import DocumentError

    book = epub(tmp_path / "book.epub", "<p/>")
    with zipfile.ZipFile(book) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    opf = "OEBPS/book.opf"
    members[opf] = members[opf].replace(b'href="c.xhtml"', b'href="' + b"c" * 60000 + b'.xhtml"')
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    try:
        formats.open_document(book, book.read_bytes())
        message = "opened"
    except DocumentError as error:
        message = str(error)
    assert message.startswith("book.epub lists OEBPS/ccc") and len(message) < 200
