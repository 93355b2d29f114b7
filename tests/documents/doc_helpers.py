"""Helpers for the document tests: small images and a recording engine."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from assistant.engine.base import Detail, Engine, Turn


def png(
    color: tuple[int, int, int] | str = "red", size: tuple[int, int] = (32, 24), kind: str = "PNG"
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


class RecordingEngine(Engine):
    """Describes an image by its top-left colour; records every batch; can be told to stop or fail.

    `stop_after` raises KeyboardInterrupt on the batch after that many batches (as Ctrl+C would);
    `replies` overrides what is said about a colour (to test unusable descriptions).
    """

    def __init__(self, stop_after: int | None = None, replies: dict | None = None) -> None:
        self.batches: list[int] = []
        self.stop_after = stop_after
        self.replies = replies or {}

    @property
    def summary(self) -> str:
        return "recording engine"

    def describe(
        self, image, detail: Detail = "brief", on_text=None, cancel: threading.Event | None = None
    ) -> str:
        return self.describe_many([image], detail)[0]

    def ask(self, image, question: str, history: Sequence[Turn] = (), on_text=None, cancel=None) -> str:
        raise NotImplementedError

    def describe_many(self, images, detail: Detail = "brief", batch_size: int = 8) -> list[str]:
        if self.stop_after is not None and len(self.batches) >= self.stop_after:
            raise KeyboardInterrupt
        self.batches.append(len(images))
        out = []
        for image in images:
            color = image.convert("RGB").getpixel((0, 0))
            out.append(
                self.replies.get(color, f"a picture of a square coloured {color[0]} {color[1]} {color[2]}")
            )
        return out


def alt_for(color: tuple[int, int, int]) -> str:
    """What the recording engine's description of `color` becomes as alt-text."""
    return f"A square coloured {color[0]} {color[1]} {color[2]}."


RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 128, 0), (0, 0, 255), (255, 255, 0)


def assert_zip_only_changed(old: bytes, new: bytes, changed: dict[str, list[tuple[str | None, str]]]) -> None:
    """Every member of `new` equals `old`'s byte-for-byte (compressed bytes too), except that in each
    member named in `changed` exactly the listed descriptions went from `old` (None: absent) to `new`."""
    import zipfile

    before, after = zipfile.ZipFile(io.BytesIO(old)), zipfile.ZipFile(io.BytesIO(new))
    assert after.testzip() is None
    assert [i.filename for i in after.infolist()] == [i.filename for i in before.infolist()]
    for info in before.infolist():
        new_info = after.getinfo(info.filename)
        if info.filename in changed:
            text = after.read(info.filename).decode()
            for old_value, new_value in changed[info.filename]:
                if old_value is None:
                    assert f' descr="{new_value}"' in text
                    text = text.replace(f' descr="{new_value}"', "", 1)
                else:
                    assert f'descr="{new_value}"' in text
                    text = text.replace(f'descr="{new_value}"', f'descr="{old_value}"', 1)
            assert text.encode() == before.read(info), info.filename
        else:
            assert after.read(info.filename) == before.read(info), info.filename
            assert (new_info.CRC, new_info.compress_type, new_info.compress_size, new_info.date_time) == (
                info.CRC, info.compress_type, info.compress_size, info.date_time,
            ), info.filename  # fmt: skip


DECORATIVE_EXT = (
    '<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
    '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/decorative" val="1"/>'
    "</a:ext></a:extLst>"
)


def epub(path: Path, body: str, members: dict[str, bytes] | None = None, language: str = "") -> Path:
    """A one-chapter EPUB 3 with `body` in its chapter, `members` beside it and, when given, its
    declared `dc:language`."""
    metadata = (
        f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:language>{language}</dc:language></metadata>'
        if language
        else ""
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0"><rootfiles>'
            '<rootfile full-path="OEBPS/book.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        archive.writestr(
            "OEBPS/book.opf",
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            f"{metadata}<manifest>"
            '<item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest>'
            '<spine><itemref idref="c"/></spine></package>',
        )
        archive.writestr(
            "OEBPS/c.xhtml",
            f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>',
            zipfile.ZIP_DEFLATED,
        )
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path
