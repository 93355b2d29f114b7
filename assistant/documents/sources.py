"""Where an image's bytes come from: a file beside the document, a member of a package, a data: URI,
or (only with --fetch-remote) the network.

A document's images are read only from inside it: the folder that holds an HTML or Markdown file, the
archive of an EPUB, Word or PowerPoint file. Anything else (other folders, `file:` URLs, links that
resolve outside, a Word picture linked to a file) is skipped unless the user passes --allow-outside.
Files on disk are read only when they are regular files, and never more than a set size.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.documents.model import ImageOccurrence, Loader, Status
from assistant.documents.phrases import phrase, said, the_image
from assistant.errors import UserError
from assistant.i18n import _, ngettext, os_reason

#: Largest image fetched over the network.
MAX_REMOTE_BYTES = 50 * 1024 * 1024
REMOTE_TIMEOUT_S = 20
#: Largest image file read from disk or from a package, unless the user sets another limit.
DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024


class SourceError(UserError):
    """An image whose bytes cannot be had; the message is one plain sentence."""


@dataclass(frozen=True)
class Access:
    """What a document's images may read: files outside the document or not, and how much of each."""

    allow_outside: bool = False
    max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES


@dataclass(frozen=True)
class Source:
    """How to load an image; `skip` is the status of an image deliberately not loaded (and `problem` why)."""

    load: Loader | None
    remote: bool = False
    problem: str = ""
    skip: Status | None = None

    def fill(self, occurrence: ImageOccurrence) -> ImageOccurrence:
        occurrence.load, occurrence.remote = self.load, self.remote
        occurrence.reason, occurrence.skip = self.problem, self.skip
        return occurrence


class Locator(Protocol):
    """Turns the names a document gives its images into sources, inside the document's bounds."""

    access: Access

    def inside(self, path: str) -> Source:
        """A path written in the document (relative, or absolute from the document's root)."""
        ...

    def on_disk(self, path: str, label: str) -> Source:
        """A local file named by a `file:` URL or an external link."""
        ...


def megabytes(size: int) -> str:
    if size >= 2**20:
        return f"{size / 2**20:.0f} MB"
    # Translators: a size in the sentences of the alt-text report, such as "100 bytes".
    return ngettext("{count} byte", "{count} bytes", size).format(count=size)


def too_large(label: str, limit: int) -> SourceError:
    return SourceError(
        _(
            "{label} is larger than {megabytes}, the most read for one picture; raise the limit with --max-image-mb to read it."
        ).format(label=said(label), megabytes=megabytes(limit))
    )


def read_regular_file(path: Path, limit: int, label: str) -> bytes:
    """At most `limit` bytes of a regular file; devices, pipes and folders are refused, never waited on."""
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; it is then refused as not regular.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise SourceError(_("{label} was not found.").format(label=said(label))) from None
    except OSError as error:
        raise SourceError(
            _("{label} could not be read ({value}).").format(label=said(label), value=os_reason(error))
        ) from None
    with os.fdopen(descriptor, "rb", buffering=0) as file:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(
                _(
                    "{label} is not a regular file (it is a device, pipe or folder), so it was not read."
                ).format(label=said(label))
            )
        if info.st_size > limit:
            raise too_large(label, limit)
        chunks, total = [], 0
        while total <= limit:
            chunk = file.read(min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if total > limit:  # it grew while being read
        raise too_large(label, limit)
    return b"".join(chunks)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class FolderLocator:
    """Images of a document that lives in a folder (HTML, Markdown): files inside that folder."""

    def __init__(self, folder: Path, access: Access) -> None:
        self.folder = folder
        self.access = access
        self._real_folder = os.path.realpath(folder)
        self._inside: dict[str, bool] = {}

    def inside(self, path: str) -> Source:
        # Translators: the start of a sentence of the alt-text report about a picture file beside the document.
        return self.on_disk(path, phrase("The image file {name}", name=shown(path)))

    def on_disk(self, path: str, label: str) -> Source:
        target = self.folder / path  # an absolute path stays absolute
        if not self.access.allow_outside and not self._is_inside(path, target):
            # Translators: put into "… points outside {where}; use --allow-outside to read it."
            return outside(label, phrase("the document's folder"))
        return Source(lambda: self.read(target, label))

    def _is_inside(self, path: str, target: Path) -> bool:
        # Remembered per name: a page that shows one picture many times resolves its links once.
        inside = self._inside.get(path)
        if inside is None:
            inside = self._inside[path] = _within(os.path.realpath(target), self._real_folder)
        return inside

    def read(self, target: Path, label: str) -> bytes:
        real = os.path.realpath(target)
        # Checked again: a link may have been changed to point elsewhere since the document was read.
        if not self.access.allow_outside and not _within(real, self._real_folder):
            raise SourceError(
                _("{label} points outside the document's folder; use --allow-outside to read it.").format(
                    label=said(label)
                )
            )
        return read_regular_file(Path(real), self.access.max_image_bytes, label)


def outside(label: str, where: str) -> Source:
    return Source(
        None,
        # Translators: the alt-text report; {label} is "The image NAME" or the like, {where} "the
        # document's folder" or "the EPUB file"; --allow-outside is an option, not translated.
        problem=phrase(
            "{label} points outside {where}; use --allow-outside to read it.", label=label, where=where
        ),
        skip=Status.OUTSIDE,
    )


#: Longest image source quoted in a message, a report or the log; a data: URI can be many megabytes.
SHOWN_SOURCE_CHARS = 100
# Percent-decoding goes this many characters at a time: a whole URI of millions of escapes at once
# (as Python's decoder went, with an object for each escape) took gigabytes.
_DECODE_CHUNK = 1 << 20


def shown(src: str) -> str:
    """`src` as it is quoted to the user: cut short, with its length, when it is long."""
    if len(src) <= SHOWN_SOURCE_CHARS:
        return src
    # Translators: a long file name or address cut short in the alt-text report; {size} is its length,
    # such as "3 MB".
    return phrase(
        "{start}... ({size} in all)", start=src[: SHOWN_SOURCE_CHARS - 40], size=megabytes(len(src))
    )


def _unquote_chunk(chunk: bytes) -> bytes:
    # A chunk made only of escapes (what a hostile URI is) is decoded at once; urllib's decoder goes
    # one escape at a time, in Python, which took half a minute for 47 MB.
    escapes = chunk.count(b"%")
    if escapes * 3 == len(chunk) and chunk[::3] == b"%" * escapes:
        try:
            decoded = bytes.fromhex(chunk.replace(b"%", b"").decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            decoded = b""
        if len(decoded) == escapes:  # (fromhex skips spaces, so a "% 2%0 " comes out short)
            return decoded
    return urllib.parse.unquote_to_bytes(chunk)


def _unquote_bounded(payload: str, limit: int, label: str) -> bytes:
    """Percent-decode `payload`, refusing it as soon as it would give more than `limit` bytes."""
    # Each escape (3 characters) gives one byte; this many bytes come out at least.
    if len(payload) - 2 * payload.count("%") > limit:
        raise too_large(label, limit)
    out = bytearray()
    position = 0
    while position < len(payload):
        stop = min(position + _DECODE_CHUNK, len(payload))
        # Never split an escape between two chunks.
        cut = payload.rfind("%", max(position, stop - 2), stop)
        if cut >= 0 and stop < len(payload):
            stop = cut
        out += _unquote_chunk(payload[position:stop].encode("utf-8", "surrogateescape"))
        if len(out) > limit:
            raise too_large(label, limit)
        position = stop
    return bytes(out)


def decode_data_uri(uri: str, limit: int = DEFAULT_MAX_IMAGE_BYTES) -> bytes:
    """The bytes of a `data:` URI (base64 or percent-encoded), never more than `limit` of them."""
    # Translators: the start of a sentence of the alt-text report; a data: URI holds the picture itself.
    label = phrase("The picture in a data: URI")
    header, comma, payload = uri.partition(",")
    if not comma:
        raise SourceError(_("The data: URI of this image has no data."))
    if header.lower().endswith(";base64"):
        # Base64 gives 3 bytes for 4 characters; percent escapes and spaces only make it shorter.
        # (Spaces too; the exact size is checked once they are gone.)
        if "%" in payload:
            encoded = _unquote_bounded(payload, 2 * limit + 1024, label)
        else:
            encoded = payload.encode("utf-8", "surrogateescape")
        cleaned = encoded.translate(None, b" \t\n\r\f\v")
        if len(cleaned) * 3 // 4 - cleaned[-2:].count(b"=") > limit:
            raise too_large(label, limit)
        try:
            return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise SourceError(_("The data: URI of this image is not valid base64.")) from None
    return _unquote_bounded(payload, limit, label)


def fetch(url: str) -> bytes:
    """Download an image (used only with --fetch-remote)."""
    if url.startswith("//"):
        url = "https:" + url
    request = urllib.request.Request(url, headers={"User-Agent": "assistant-alt-text"})
    try:
        with urllib.request.urlopen(request, timeout=REMOTE_TIMEOUT_S) as response:
            data: bytes = response.read(MAX_REMOTE_BYTES + 1)
    except (OSError, ValueError) as error:
        raise SourceError(
            _("The image at {shown} could not be downloaded ({error}).").format(
                shown=said(shown(url)), error=error
            )
        ) from None
    if len(data) > MAX_REMOTE_BYTES:
        raise SourceError(
            _("The image at {shown} is larger than {max_remote_bytes} MB.").format(
                shown=said(shown(url)), max_remote_bytes=MAX_REMOTE_BYTES // 2**20
            )
        )
    return data


def unreadable_scheme(scheme: str) -> str:
    # Translators: the alt-text report; {scheme} is the start of an address, such as "ftp" or "mailto".
    return phrase("Images from {scheme}: addresses cannot be read.", scheme=scheme)


def file_url_path(url: str) -> str:
    """The local path of a `file:` URL (`file://localhost/x`, `file:///x`, `file:x`)."""
    return urllib.request.url2pathname(urllib.parse.urlsplit(url).path)


def resolve(src: str, locator: Locator) -> Source:
    """How to load the image named by `src` in a document whose images `locator` finds."""
    src = src.strip()
    if not src:
        # Translators: the alt-text report, an image tag that names no picture.
        return Source(None, problem=phrase("The image has no source."))
    scheme = urllib.parse.urlsplit(src).scheme.lower() if not src.startswith("//") else "https"
    if scheme == "data":
        return Source(lambda: decode_data_uri(src, locator.access.max_image_bytes))
    if scheme in {"http", "https", "ftp"}:
        return Source(lambda: fetch(src), remote=True)
    if scheme == "file":
        return locator.on_disk(file_url_path(src), the_image(shown(src)))
    if len(scheme) > 1:  # one letter is a Windows drive
        return Source(None, problem=unreadable_scheme(shown(scheme)))
    return locator.inside(urllib.parse.unquote(src.split("#", 1)[0].split("?", 1)[0]))
