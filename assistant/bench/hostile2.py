"""`--suite hostile`, second round (issue 21): each hostile document's time and peak memory, and a run's
peak memory against the number of pictures in one document (it should stay flat: pictures stream
through the model a batch at a time). Each run is a process of its own, so its peak is its own."""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

#: Pictures in one document for the memory curve; each is distinct, so each is decoded and described.
PICTURE_COUNTS = (100, 1000, 5000)
PICTURE_SIZE = (800, 600)
#: How much more the largest count may take than the smallest: about a batch of pictures.
FLAT_MB = 100

_EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n{ } loop\nshowpage\n%%EOF\n"
_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = PICTURE_SIZE) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=50)
    return buffer.getvalue()


def _docx(path: Path, pictures: int, picture: bytes, filler: bytes = b"") -> Path:
    """A Word file of `pictures` pictures of one image, then `filler` (raw XML) in its body."""
    body = "".join(
        f'<w:p><w:r><w:drawing><wp:inline><wp:docPr id="{n}" name="Picture {n}"/><a:graphic><a:graphicData>'
        '<a:blip r:embed="rId1"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'
        for n in range(1, pictures + 1)
    )
    document = f"<w:document {_NS}><w:body>{body}".encode() + filler + b"</w:body></w:document>"
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
        'Target="media/image1.png"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
        archive.writestr("word/_rels/document.xml.rels", rels)
        archive.writestr("word/media/image1.png", picture)
    return path


def _zip_entries(path: Path, count: int) -> Path:
    """A zip whose central directory lists `count` empty members (1.5 million take 70 MB)."""
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0)
    central += b"a"
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(central) * count, len(local), 0)
    with path.open("wb") as file:
        file.write(local + central * count + end)
    return path


def make_second_round(folder: Path) -> dict[str, Path]:
    """Issue 21's hostile documents at the sizes it gives, each beside a good picture (red.png)."""
    red = jpeg((220, 30, 30), (64, 64))
    (folder / "red.png").write_bytes(red)
    made: dict[str, Path] = {}

    def page(name: str, text: str) -> Path:
        (folder / name).write_text(text)
        return folder / name

    (folder / "eps.png").write_bytes(_EPS)
    made["PostScript under a .png name, in HTML"] = page("eps.html", '<img src="eps.png"><img src="red.png">')
    made["Markdown, 102,400 unclosed ![ (200 KB)"] = page("brackets.md", "![" * 102_400)
    made["Markdown, 'a < b ' 34,133 times"] = page("angles.md", "a < b " * 34_133)
    made["Word, 15,000 pictures (187 KB)"] = _docx(folder / "pictures.docx", 15_000, red)
    made["HTML, 100,000 <img> (2.6 MB)"] = page("many.html", '<img src="red.png">\n' * 100_000)
    rng = random.Random(21)
    filler = b"".join(b"<a/>" * 125 + b"<b>%08x</b>" % rng.getrandbits(32) for _ in range(40 * 2**20 // 515))
    made["Word, 40 MB of <a/> in 500 KB"] = _docx(folder / "nodes.docx", 1, red, filler)
    made["zip of 1.5 million entries"] = _zip_entries(folder / "entries.docx", 1_500_000)
    uri = "data:image/png," + "%00" * (47 * 2**20 // 3)
    made["HTML, a 47 MB percent-encoded data: URI"] = page(
        "percent.html", f'<img src="{uri}"><img src="red.png">'
    )
    from PIL import Image, ImageDraw

    thin = Image.new("L", (29000, 16), 255)
    ImageDraw.Draw(thin).rectangle((100, 0, 5000, 15), fill=0)  # not blank, so OCR reads it
    thin.save(folder / "thin.png")
    made["HTML, a 29000x16 picture, with OCR"] = page("thin.html", '<img src="thin.png"><img src="red.png">')
    name = os.fsdecode(os.fsencode(folder) + b"/bad\xff.html")
    Path(name).write_bytes(b'<img src="x\xff.png"><img src="red.png">')
    made["a name and a src that are not UTF-8"] = Path(name)
    return made


def make_album(folder: Path, count: int, size: tuple[int, int] = PICTURE_SIZE) -> Path:
    """One HTML page of `count` distinct pictures."""
    for index in range(count):
        colour = (index * 37 % 256, index * 91 % 256, (index // 256) * 53 % 256)
        (folder / f"p{index}.jpg").write_bytes(jpeg(colour, size))
    page = folder / "album.html"
    page.write_text("".join(f'<img src="p{index}.jpg">\n' for index in range(count)))
    return page


_MEASURE = """
import json, sys, time
from pathlib import Path
from assistant.documents.runner import Options, run
from assistant.engine.base import Engine

class Describing(Engine):
    summary = "says each picture's top-left colour"
    def describe_many(self, images, detail="brief", batch_size=8):
        return ["a square coloured %d %d %d" % image.convert("RGB").getpixel((0, 0)) for image in images]
    def describe(self, image, *args, **kwargs):
        return self.describe_many([image])[0]
    def ask(self, *args, **kwargs):
        raise NotImplementedError

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0

started = time.perf_counter()
report = run([Path(sys.argv[1])], Describing(), Options(write=True, include_ocr=sys.argv[2] == "ocr"))
seconds = time.perf_counter() - started
document = report.documents[0]
reasons = [document.error] + [image.reason for image in document.images]
print(json.dumps({
    "seconds": seconds,
    "peak_mb": peak_mb(),
    "refusal": next((reason for reason in reasons if reason), ""),
    "written": document.written,
}))
"""


def measure(path: Path, ocr: bool = False) -> dict[str, Any]:
    """Time and peak memory of an alt-text run over `path` in a process of its own."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path), "ocr" if ocr else "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        return {"error": child.stderr.strip().splitlines()[-1:] or ["failed"]}
    figures: dict[str, Any] = json.loads(child.stdout)
    figures["process_s"] = time.perf_counter() - started
    figures["size_on_disk_kb"] = path.stat().st_size // 1024
    return figures


def bench_second_round() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="alt-text-hostile2-") as folder:
        return {
            label: measure(path, ocr="OCR" in label)
            for label, path in make_second_round(Path(folder)).items()
        }


def bench_pictures(
    counts: tuple[int, ...] = PICTURE_COUNTS, size: tuple[int, int] = PICTURE_SIZE
) -> dict[str, dict[str, Any]]:
    """Peak memory of one document of each number of distinct pictures."""
    results: dict[str, dict[str, Any]] = {}
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="alt-text-pictures-") as folder:
            results[f"{count} pictures of {size[0]}x{size[1]} in one page"] = measure(
                make_album(Path(folder), count, size)
            )
    return results
