"""`--suite hostile`: the cost of refusing hostile documents (zip bombs, pixel bombs), each run in a
process of its own, and the bombs themselves (the tests build theirs here too)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.bench.suites import Bench, Scope, Target, target

_CHUNK = 1 << 20
#: Targets from issue 13: refusing any one bomb stays under this peak memory and time.
HOSTILE_PEAK_MB = 300
HOSTILE_SECONDS = 2.0


def deflated_zeros(size: int, wrapper: bool = False) -> bytes:
    """A raw deflate stream (zlib-wrapped when `wrapper`) that inflates to `size` zero bytes.

    After a full flush the compressor forgets everything, so every full chunk compresses the same: one
    chunk is compressed and repeated, and a 2 GiB stream takes milliseconds and 2 MB to build.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(_CHUNK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(size, _CHUNK)
    stream = block * full + compressor.compress(bytes(rest)) + compressor.flush(zlib.Z_FINISH)
    if not wrapper:
        return stream
    adler = ((size % 65521) << 16) | 1  # adler32 of `size` zeros: a stays 1, b grows by 1 each byte
    return b"\x78\xda" + stream + struct.pack(">I", adler)


def add_zip_bomb(archive: zipfile.ZipFile, name: str, size: int, declared: int | None = None) -> None:
    """Append a deflated member of `size` zeros that declares `declared` bytes (default: the truth).

    Its CRC is left 0: nothing should ever inflate it, and whatever does fails on the CRC besides.
    """
    data = deflated_zeros(size)
    info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = size if declared is None else declared
    info.compress_size = len(data)
    info.CRC = 0
    fp = archive.fp
    assert fp is not None
    fp.seek(archive.start_dir)
    info.header_offset = fp.tell()
    fp.write(info.FileHeader(zip64=info.file_size > zipfile.ZIP64_LIMIT))
    fp.write(data)
    archive.filelist.append(info)
    archive.NameToInfo[name] = info
    archive.start_dir = fp.tell()
    # zipfile's own flag for "write the central directory on close"; no public way to add a raw member.
    archive._didModify = True  # type: ignore[attr-defined]


def png_bomb(width: int, height: int) -> bytes:
    """A greyscale PNG of `width` x `height` black pixels, under a megabyte on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = deflated_zeros((width + 1) * height, wrapper=True)  # each row: a filter byte, then pixels
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def minimal_epub(path: Path, body: str) -> zipfile.ZipFile:
    """An EPUB with one chapter holding `body`, left open for more members."""
    archive = zipfile.ZipFile(path, "w")
    archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
    archive.writestr(
        "META-INF/container.xml",
        '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles>'
        '<rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>",
    )
    archive.writestr(
        "OEBPS/book.opf",
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest>'
        '<item id="c" href="c.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="b" href="big.xhtml" media-type="application/xhtml+xml"/></manifest>'
        '<spine><itemref idref="c"/></spine></package>',
    )
    archive.writestr(
        "OEBPS/c.xhtml", f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>'
    )
    return archive


def make_hostile(folder: Path) -> dict[str, Path]:
    """The hostile documents of issue 13, each built small on disk; plus a harmless page to compare."""
    made: dict[str, Path] = {}
    made["baseline: an HTML page without images"] = folder / "plain.html"
    made["baseline: an HTML page without images"].write_text("<p>Nothing to see.</p>\n")
    docx = folder / "bomb.docx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        add_zip_bomb(archive, "word/media/image1.png", 2 * 2**30)
    made["DOCX, one member inflating to 2 GiB"] = docx
    for label, member, size in (
        ("EPUB, a 3 GiB image", "OEBPS/huge.png", 3 * 2**30),
        ("EPUB, a 2 GiB XHTML document", "OEBPS/big.xhtml", 2 * 2**30),
    ):
        path = folder / f"{member.rsplit('/', 1)[1].split('.')[0]}.epub"
        with minimal_epub(path, '<img src="huge.png"/>') as archive:
            add_zip_bomb(archive, member, size)
        made[label] = path
    for label, (width, height) in (
        ("HTML, a 30000x30000 PNG", (30000, 30000)),
        ("HTML, a 13000x13000 (169-megapixel) PNG", (13000, 13000)),
    ):
        picture = folder / f"bomb{width}.png"
        picture.write_bytes(png_bomb(width, height))
        page = folder / f"bomb{width}.html"
        page.write_text(f'<p><img src="{picture.name}"></p>\n')
        made[label] = page
    return made


_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from assistant.documents.runner import Options, run
from assistant.engine.base import Engine

class Refusing(Engine):
    summary = "none"
    def describe(self, *args, **kwargs):
        raise AssertionError("a hostile document reached the engine")
    ask = describe_many = describe

def peak_mb():
    # VmHWM belongs to this program alone; ru_maxrss would count the parent's memory from before exec.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

started = time.perf_counter()
report = run([Path(sys.argv[1])], Refusing(), Options(write=True))
seconds = time.perf_counter() - started
document = report.documents[0]
reasons = [document.error] + [image.reason for image in document.images]
print(json.dumps({
    "seconds": seconds,
    "peak_mb": peak_mb(),
    "refusal": next((reason for reason in reasons if reason), ""),
}))
"""


def bench_hostile() -> dict[str, Any]:
    """Peak memory (the whole process's) and time of a run over each hostile document, in a process
    of its own; the baseline is the same run over a harmless page."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="alt-text-hostile-") as folder:
        for label, path in make_hostile(Path(folder)).items():
            started = time.perf_counter()
            child = subprocess.run(
                [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=False
            )
            if child.returncode != 0:
                results[label] = {"error": child.stderr.strip().splitlines()[-1:] or ["failed"]}
                continue
            figures = json.loads(child.stdout)
            figures["process_s"] = time.perf_counter() - started
            figures["size_on_disk_kb"] = (
                sum(p.stat().st_size for p in Path(folder).glob(path.stem + ".*")) // 1024
            )
            results[label] = figures
    return results


# -- the suite: `--suite hostile` --------------------------------------------------------------------

SCOPE: Scope = "once"
KEY = "hostile"


def _print(label: str, figures: dict[str, Any]) -> None:
    from assistant.text_safety import for_terminal

    if "error" in figures:
        print(f"  {label}: FAILED {figures['error']}")
        return
    print(
        f"  {label}: {figures['size_on_disk_kb']} KB on disk, peak {figures['peak_mb']:.0f} MB, "
        f"{figures['seconds']:.3f} s ({figures['process_s']:.2f} s with the process's start)"
    )
    if figures["refusal"]:
        print(for_terminal(f"    {figures['refusal'][:200]}"))


def run(bench: Bench) -> dict[str, Any]:
    from assistant.bench.hostile2 import bench_pictures, bench_second_round

    results = bench_hostile()
    print("\n== hostile documents, each run in a process of its own")
    for label, figures in results.items():
        _print(label, figures)
    print("\n== issue 21's hostile documents, each beside a good picture, in a process of its own")
    second = {f"issue 21: {label}": figures for label, figures in bench_second_round().items()}
    for label, figures in second.items():
        _print(label, figures)
    print("\n== peak memory against the number of distinct pictures in one document (should be flat)")
    pictures = {f"pictures: {label}": figures for label, figures in bench_pictures().items()}
    for label, figures in pictures.items():
        _print(label, figures)
    return {**results, **second, **pictures}


def targets(figures: dict[str, dict[str, Any]], bench: Bench) -> Iterator[Target]:
    from assistant.bench.hostile2 import FLAT_MB

    peaks = []
    for label, found in figures.items():
        if label.startswith("baseline") or "peak_mb" not in found:
            continue
        if label.startswith("pictures: "):
            peaks.append(found["peak_mb"])
        elif label.startswith("issue 21: "):  # some are only long (100,000 pictures), not refused
            yield target(f"[{label}] peak_mb", found["peak_mb"], 1000, "any document, under 1 GB")
        else:
            for key, limit in (("peak_mb", HOSTILE_PEAK_MB), ("seconds", HOSTILE_SECONDS)):
                yield target(f"[{label}] {key}", found[key], limit, "refusing a bomb, in one sentence")
    if len(peaks) > 1:
        yield target("[pictures] peak growth, MB", max(peaks) - min(peaks), FLAT_MB, "flat in the pictures")
