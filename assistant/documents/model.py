"""What the alt-text tools know about one image in one document, and what every format provides."""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from PIL import Image

from assistant.errors import UserError

#: What a loader returns: the bytes of an image file, or an image already decoded (PDF, image-map crop).
ImageData = bytes | Image.Image
Loader = Callable[[], ImageData]


class Status(str, enum.Enum):
    """Where an image stands before anything is written."""

    MISSING = "missing"
    SUSPICIOUS = "suspicious"
    HAS_ALT = "has-alt"
    DECORATIVE = "decorative"
    TOO_SMALL = "too-small"
    REMOTE = "remote"
    OUTSIDE = "outside"  # a file outside the document, not read without --allow-outside
    LINKED = "linked"  # a Word or PowerPoint picture linked to a file rather than embedded
    VECTOR = "vector"  # EMF, WMF or SVG, which the model cannot see yet
    FAILED = "failed"


class Outcome(str, enum.Enum):
    """What the run did (or, in a dry run, would do) with an image."""

    WRITTEN = "written"
    WOULD_WRITE = "would-write"
    KEPT = "kept"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_DONE = "not-done"


class DocumentError(UserError):
    """A document that cannot be read or written; the message is one plain sentence."""


@dataclass(eq=False)
class ImageOccurrence:
    """One image where it appears in a document.

    `load` gives the image (None when there is nothing to load: no source, unsupported scheme);
    `remote` says loading would go over the network; `skip` is the status of an image that is
    deliberately not loaded (a file outside the document), `reason` saying why. `writable` is False where the format has no
    place to keep alt-text (an untagged PDF). The runner fills in `new_alt`, `outcome` and `reason`.
    """

    location: str
    source: str
    current_alt: str | None
    status: Status
    load: Loader | None = None
    remote: bool = False
    skip: Status | None = None
    writable: bool = True
    reason: str = ""
    new_alt: str | None = None
    outcome: Outcome = Outcome.NOT_DONE
    size: tuple[int, int] | None = None
    fingerprint: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "location": self.location,
            "source": self.source,
            "current_alt": self.current_alt,
            "status": self.status.value,
            "new_alt": self.new_alt,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "size": list(self.size) if self.size else None,
        }


class Document(ABC):
    """A document opened for alt-text work: its images, and a way to write it with new alt-text.

    `save` writes the whole new file to `out`; `edits` maps an index in `images` to its new alt-text.
    Everything other than those alt-texts is written exactly as it was read.
    """

    format: ClassVar[str]

    def __init__(self, path: Path, images: list[ImageOccurrence] | None = None) -> None:
        self.path = path
        self.images: list[ImageOccurrence] = images if images is not None else []
        #: Things the report should say about the whole document ("untagged PDF").
        self.notes: list[str] = []
        #: The language the document declares ("es"), which its alt-text is written in; "": none.
        self.language = ""

    @abstractmethod
    def save(self, edits: Mapping[int, str], out: BinaryIO) -> None: ...


_IMAGE_EXTENSIONS = r"png|jpe?g|jfif|gif|bmp|tiff?|webp|svg|emf|wmf|ico|heic|heif|avif"
_FILE_NAME = re.compile(rf"^[^\n/\\]{{0,200}}\.(?:{_IMAGE_EXTENSIONS})$", re.IGNORECASE)
_CAMERA_NAME = re.compile(
    r"^(?:img|dsc|dscn|dcim|pxl|photo|image|screenshot|screen shot)[ _-]?\d[\w .-]*$", re.I
)
_PLACEHOLDERS = {
    "image",
    "images",
    "img",
    "picture",
    "pictures",
    "pic",
    "graphic",
    "graphics",
    "photo",
    "photos",
    "photograph",
    "figure",
    "icon",
    "alt",
    "alt text",
    "placeholder",
    "untitled",
    "spacer",
    "blank",
    "description",
}
_AUTO_GENERATED = re.compile(r"description automatically generated", re.IGNORECASE)


def is_suspicious(alt: str, source: str = "") -> bool:
    """Alt-text that is only a file name, a placeholder word, or Office's automatic caption."""
    text = " ".join(alt.split()).strip()
    if not text:
        return False
    lowered = text.lower().strip(".:")
    if lowered in _PLACEHOLDERS or _FILE_NAME.match(text) or _CAMERA_NAME.match(text):
        return True
    if _AUTO_GENERATED.search(text):
        return True
    name = source.replace("\\", "/").rsplit("/", 1)[-1].split("?", 1)[0].lower()
    return bool(name) and lowered in {name, name.rsplit(".", 1)[0]}


def classify(alt: str | None, decorative: bool = False, source: str = "") -> Status:
    """The status of an image whose alt-text is `alt` (None: no alt at all)."""
    if decorative:
        return Status.DECORATIVE
    if alt is None or not alt.strip():
        return Status.MISSING
    return Status.SUSPICIOUS if is_suspicious(alt, source) else Status.HAS_ALT


def language_tag(tag: str | bytes | None) -> str:
    """The language of a declared tag ("es-ES", "es_MX", b"es"): "es"; "" for none or a malformed one."""
    text = tag.decode("ascii", "replace") if isinstance(tag, bytes) else tag or ""
    primary = re.split(r"[-_]", text.strip(), maxsplit=1)[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""
