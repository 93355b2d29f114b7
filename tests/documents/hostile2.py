"""Builders for the second round of hostile documents (issue 21), each small on disk and built in well
under a second, at the sizes the issue gives."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

#: An Encapsulated PostScript body that never ends if Ghostscript is asked to draw it.
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n{ } loop\nshowpage\n%%EOF\n"

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_WP = 'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
_A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def picture(number: int) -> str:
    return (
        f'<w:p><w:r><w:drawing><wp:inline><wp:docPr id="{number}" name="Picture {number}"/>'
        '<a:graphic><a:graphicData><a:blip r:embed="rId1"/></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r></w:p>"
    )


def docx(path: Path, body: str, image: bytes = b"", filler: bytes = b"") -> Path:
    """A Word file whose body is `body` (then `filler`, raw), with `image` as word/media/image1.png."""
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W} {_WP} {_A} {_R}><w:body>'.encode()
        + body.encode()
        + filler
        + b"</w:body></w:document>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_RELS}" Target="media/image1.png"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
        archive.writestr("word/_rels/document.xml.rels", rels)
        archive.writestr("word/media/image1.png", image)
    return path


def docx_with_pictures(path: Path, count: int, image: bytes = b"") -> Path:
    """A Word file with `count` pictures, all of one image (15,000 make 187 KB)."""
    return docx(path, "".join(picture(number) for number in range(1, count + 1)), image)


def docx_node_bomb(path: Path, megabytes: int = 40, image: bytes = b"") -> Path:
    """A Word file with one picture whose document.xml also holds `megabytes` MB of empty elements,
    mixed with random numbers so that it compresses about 86 times, under the 100 times at which a
    zip bomb is refused (40 MB make a 490 KB file)."""
    rng = random.Random(21)
    filler = b"".join(
        b"<a/>" * 125 + b"<b>%08x</b>" % rng.getrandbits(32) for _ in range(megabytes * 2**20 // 515)
    )
    return docx(path, picture(1), image, filler)


def html_with_images(path: Path, count: int, src: str = "red.png") -> Path:
    """An HTML page of `count` `<img>` tags, one a line (100,000 make 2.6 MB)."""
    path.write_text("<p>\n" + f'<img src="{src}">\n' * count + "</p>\n")
    return path


def zip_with_entries(path: Path, count: int, first: str = "a") -> Path:
    """A zip whose central directory lists `count` empty members, all named `first` (1.5 million
    take 70 MB): Python's zipfile makes an object for each before it can be asked how many there are."""
    name = first.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    central = (
        struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0)
        + name
    )
    size = len(central) * count
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, size, len(local), 0)
    with path.open("wb") as file:
        file.write(local)
        file.write(central * count)
        file.write(end)
    return path


def percent_data_uri(megabytes: float, mime: str = "image/png") -> str:
    """A `data:` URI of `megabytes` MB of percent-encoded bytes (each byte written as %XX)."""
    return f"data:{mime}," + "%00" * int(megabytes * 2**20 / 3)


def flate_bomb_pdf(megabytes: int = 100) -> bytes:
    """A tagged PDF whose one figure's picture is `megabytes` MB of zeros deflated (about 100 KB)."""
    import io
    import zlib

    from pypdf import PdfWriter
    from pypdf.generic import NameObject, NumberObject
    from test_pdf import tagged_pdf

    writer = PdfWriter(clone_from=io.BytesIO(tagged_pdf([None])))
    resources = writer.pages[0]["/Resources"]["/XObject"]
    xobject = resources[next(iter(resources))].get_object()
    deflate = zlib.compressobj(9)
    data = b"".join(deflate.compress(bytes(2**20)) for _ in range(megabytes)) + deflate.flush()
    xobject._data = data
    xobject[NameObject("/Filter")] = NameObject("/FlateDecode")
    xobject[NameObject("/Length")] = NumberObject(len(data))
    xobject.pop(NameObject("/DecodeParms"), None)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
