"""What a Ray Data task does with one document, and what it sends on: the single-machine `Runner` opens it
(bounded read, containment, bomb limits), plans its images and decodes each picture once, in the
document's language; each distinct picture to describe becomes a row, and the document's last row also
carries its record, which says what became of every image. Nothing here imports Ray: the rows are plain
dicts of bytes, ints and str.

The record rides on the last picture's row, not a row of its own: Ray Data's batches count rows, so a
record row took a picture's place in a batch, and the actor's model described 3 pictures where it
could have described 4 (a document of four pictures, batches of four: 4 + 1 rows, twice the calls).
A document with nothing to describe sends its record alone.

A picture travels as its raw RGB bytes (it is already normalized: upright, opaque, 8-bit), which costs
no encoding on the worker and no decoding on the actor.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.documents.model import ImageOccurrence, Outcome, Status
from assistant.documents.runner import Options, Runner

#: The columns of every row: `doc` (the document's place in the run), `key` (a picture's fingerprint,
#: "" on a record alone), `picture`, `width`, `height` (the picture), `record` (the pickled `Gathered`
#: on the document's last row, else b"").
COLUMNS = ("doc", "key", "picture", "width", "height", "record")


@dataclass(frozen=True)
class ImageState:
    """An image as the task left it: settled (skipped, failed, kept), or waiting for its picture's
    description (outcome NOT_DONE, with the fingerprint of the picture it shows)."""

    status: Status
    outcome: Outcome
    reason: str
    size: tuple[int, int] | None
    fingerprint: str | None

    @classmethod
    def of(cls, image: ImageOccurrence) -> ImageState:
        return cls(image.status, image.outcome, image.reason, image.size, image.fingerprint)

    def apply(self, image: ImageOccurrence) -> None:
        image.status, image.outcome, image.reason = self.status, self.outcome, self.reason
        image.size, image.fingerprint = self.size, self.fingerprint


@dataclass(frozen=True)
class Gathered:
    """One document as a task read it. `error` or `notes` alone where it was not opened; otherwise its
    format, the SHA-256 of the bytes read (the writer reads them again and compares), each image's
    state, how many of them were to be described, and how many picture rows it sent (its own included)."""

    error: str = ""
    notes: list[str] = field(default_factory=list)
    format: str = ""
    digest: str = ""
    images: list[ImageState] = field(default_factory=list)
    planned: int = 0
    pictures: int = 0

    @property
    def opened(self) -> bool:
        return bool(self.digest)


def _row(doc: int, key: str = "", picture: Image.Image | None = None, record: bytes = b"") -> dict[str, Any]:
    width, height = picture.size if picture is not None else (0, 0)
    data = picture.tobytes() if picture is not None else b""
    return {"doc": doc, "key": key, "picture": data, "width": width, "height": height, "record": record}


def gather(row: dict[str, Any], options: Options, user_language: str) -> Iterator[dict[str, Any]]:
    """A Ray Data `flat_map` over {"doc", "path"}: the document's pictures to describe, then its record.
    Rows are yielded as pictures are decoded, so a task holds one Ray block of them, not the document's
    every picture."""
    reader = Runner(None, options)
    reader.keep_digests = True
    reader.user_language = user_language
    doc = int(row["doc"])
    item = reader.open(Path(row["path"]))
    if item is None:
        result = reader.report.documents[0]
        yield _row(doc, record=pickle.dumps(Gathered(error=result.error, notes=result.notes)))
        return
    pictures = 0
    held: tuple[str, Image.Image] | None = None  # decoded last: sent with the next, or with the record
    for fingerprint, picture in reader.gather(item):  # each row sent once the next is decoded
        pictures += 1
        if held is not None:
            yield _row(doc, *held)
        held = (fingerprint, picture)
    document = item.document
    gathered = Gathered(
        notes=document.notes,
        format=document.format,
        digest=item.digest,
        images=[ImageState.of(image) for image in document.images],
        planned=reader.images_total,
        pictures=pictures,
    )
    record = pickle.dumps(gathered)
    yield _row(doc, *held, record=record) if held is not None else _row(doc, record=record)


def picture_of(row: dict[str, Any]) -> Image.Image:
    """The picture a row carries, as the task decoded and normalized it."""
    return Image.frombytes("RGB", (int(row["width"]), int(row["height"])), bytes(row["picture"]))
