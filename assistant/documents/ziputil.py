"""Opening the zip packages of EPUB, Word and PowerPoint files safely, reading their members within
limits, and rewriting one with a few members replaced, copying every other member's compressed bytes
exactly as they were (same compression, same CRC, same timestamps).

A package is refused before anything is inflated when its members declare more than real documents
hold, or compress far better than real content does (a zip bomb). Reading a member never inflates more
than it declared: Python's zipfile stops there and then finds the CRC wrong.
"""

from __future__ import annotations

import copy
import io
import os
import posixpath
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from assistant.documents import sources
from assistant.documents.model import DocumentError
from assistant.documents.phrases import phrase
from assistant.i18n import _

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_DATA_DESCRIPTOR_FLAG = 0x08
_ENCRYPTED_FLAG = 0x01


#: Largest member a package may declare (a long book's XHTML or a large picture fits many times over).
MAX_MEMBER_BYTES = 256 * 1024 * 1024
#: Largest total a package may declare, all members together.
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: Members above RATIO_CHECKED_FROM bytes may not inflate more than MAX_RATIO times their stored size:
#: text and pictures compress 2 to 20 times, a zip bomb a thousand times.
MAX_RATIO = 100
RATIO_CHECKED_FROM = 10 * 1024 * 1024
MAX_MEMBERS = 100_000
#: Most elements one XML part may hold. The longest real documents hold a few hundred thousand; each
#: costs lxml about 200 bytes, so this keeps a part's tree under half a gigabyte, however it was packed.
MAX_XML_ELEMENTS = 2_000_000
_CENTRAL_HEADER = b"PK\x01\x02"


def _printable(text: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in text)[:120]


def check_sizes(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse, before inflating anything, a package whose members are too large or compress too well."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise DocumentError(
            # Translators: the alt-text report; {name} is a Word, PowerPoint or EPUB file (a zip archive).
            _(
                "{name} was left alone because it may be a zip bomb: it holds {count} parts, more than the {limit} allowed."
            ).format(name=name, count=len(members), limit=MAX_MEMBERS)
        )
    total = 0
    for info in members:
        member = _printable(info.filename)
        if info.file_size > MAX_MEMBER_BYTES:
            raise DocumentError(
                # Translators: the alt-text report; {name} is a Word, PowerPoint or EPUB file (a zip archive).
                _(
                    "{name} was left alone because it may be a zip bomb: its part {member} would unpack to {size}, more than the {limit} allowed."
                ).format(
                    name=name,
                    member=member,
                    size=sources.megabytes(info.file_size),
                    limit=sources.megabytes(MAX_MEMBER_BYTES),
                )
            )
        if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise DocumentError(
                # Translators: the alt-text report; {name} is a Word, PowerPoint or EPUB file (a zip archive).
                _(
                    "{name} was left alone because it may be a zip bomb: its part {member} is compressed {ratio} times, far more than real content is."
                ).format(name=name, member=member, ratio=ratio)
            )
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise DocumentError(
            # Translators: the alt-text report; {name} is a Word, PowerPoint or EPUB file (a zip archive).
            _(
                "{name} was left alone because it may be a zip bomb: it would unpack to {size}, more than the {limit} allowed."
            ).format(name=name, size=sources.megabytes(total), limit=sources.megabytes(MAX_TOTAL_BYTES))
        )


def check_elements(name: str, part: str, data: bytes) -> None:
    """Refuse, before parsing, an XML part of more elements than any real document: a few hundred
    kilobytes of zip can hold millions of `<a/>` that pass the ratio check and take gigabytes."""
    # Every element starts with "<", so this counts them (and a few comments) without parsing.
    if data.count(b"<") > MAX_XML_ELEMENTS:
        raise DocumentError(
            _(
                "{name} was left alone because its part {printable} holds more than {max_xml_elements:,} elements, the most read in one part; split it into smaller documents."
            ).format(name=name, printable=_printable(part), max_xml_elements=MAX_XML_ELEMENTS)
        )


def open_zip(raw: bytes, name: str, kind: str) -> zipfile.ZipFile:
    """Open an archive held in memory; a damaged one or a zip bomb raises DocumentError."""
    # zipfile makes an object for every entry of the central directory before it can be asked how
    # many there are (1.5 million empty entries took 1.2 GB). Each entry starts with this signature,
    # so counting it in the raw bytes bounds their number first, in one pass and no memory.
    entries = raw.count(_CENTRAL_HEADER)
    if entries > MAX_MEMBERS:
        raise DocumentError(
            # Translators: the alt-text report; {name} is a Word, PowerPoint or EPUB file (a zip archive).
            _(
                "{name} was left alone because it may be a zip bomb: it lists {count:,} parts, more than the {limit:,} allowed."
            ).format(name=name, count=entries, limit=MAX_MEMBERS)
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        archive = None
    if archive is not None:
        check_sizes(archive, name)
        try:
            bad = archive.testzip()  # streams each member once, within its declared size
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
            bad = "?"
    if archive is None or bad is not None:
        raise DocumentError(
            _("{name} is not a valid {kind} file (the archive is damaged). Open and save it again.").format(
                name=name, kind=kind
            )
        )
    return archive


def read_member(archive: zipfile.ZipFile, member: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """A member's content, never more than `limit` bytes inflated; KeyError when it is absent."""
    info = archive.getinfo(member)
    if info.file_size > limit:
        raise sources.too_large(_part(member), limit)
    with archive.open(info) as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise sources.too_large(_part(member), limit)
    return data


def _part(member: str) -> str:
    # Translators: the start of a sentence of the alt-text report about a part of a zip archive.
    return _("The part {name}").format(name=_printable(member))


class PackageLocator:
    """Images of a document that is a package (EPUB, Word, PowerPoint): members of its archive.

    Paths are resolved against `base_part` and cannot leave the archive; a file on disk (a `file:` URL,
    a picture linked rather than embedded) is outside the document and read only with --allow-outside.
    """

    def __init__(
        self, archive: zipfile.ZipFile, base_part: str, document: Path, access: sources.Access, kind: str
    ) -> None:
        self.archive = archive
        self.base_part = base_part
        self.document = document
        self.access = access
        self.kind = kind

    def member_name(self, path: str) -> str:
        if path.startswith("/"):
            return posixpath.normpath(path.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.base_part), path))

    def inside(self, path: str) -> sources.Source:
        name = self.member_name(path)
        return sources.Source(lambda: self.read(name))

    def read(self, name: str) -> bytes:
        try:
            return read_member(self.archive, name, self.access.max_image_bytes)
        except KeyError:
            raise sources.SourceError(
                _("The image {printable} is missing from the file.").format(printable=_printable(name))
            ) from None

    def on_disk(self, path: str, label: str) -> sources.Source:
        if not self.access.allow_outside:
            # Translators: put into "… points outside {where}"; {kind} is EPUB, Word or PowerPoint.
            return sources.outside(label, phrase("the {kind} file", kind=self.kind))
        target = self.document.parent / path
        return sources.Source(
            lambda: sources.read_regular_file(
                Path(os.path.realpath(target)), self.access.max_image_bytes, label
            )
        )


def _raw_member(source: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    fp = source.fp
    assert fp is not None
    fp.seek(info.header_offset)
    header = _LOCAL_HEADER.unpack(fp.read(_LOCAL_HEADER.size))
    if header[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    fp.seek(info.header_offset + _LOCAL_HEADER.size + header[10] + header[11])
    return fp.read(info.compress_size)


def _copy_raw(source: zipfile.ZipFile, target: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Append `info`'s member to `target` without decompressing it."""
    if info.flag_bits & _ENCRYPTED_FLAG:
        raise NotImplementedError("encrypted member")
    data = _raw_member(source, info)
    copied = copy.copy(info)
    copied.flag_bits &= ~_DATA_DESCRIPTOR_FLAG  # sizes go in the local header instead
    fp = target.fp
    assert fp is not None
    fp.seek(target.start_dir)
    copied.header_offset = fp.tell()
    zip64 = copied.file_size > zipfile.ZIP64_LIMIT or copied.compress_size > zipfile.ZIP64_LIMIT
    fp.write(copied.FileHeader(zip64))
    fp.write(data)
    target.filelist.append(copied)
    target.NameToInfo[copied.filename] = copied
    target.start_dir = fp.tell()
    # zipfile's own flag for "write the central directory on close"; there is no public way to add a raw member.
    target._didModify = True  # type: ignore[attr-defined]


def _replacement_info(info: zipfile.ZipInfo, compress_type: int | None = None) -> zipfile.ZipInfo:
    fresh = zipfile.ZipInfo(info.filename, info.date_time)
    fresh.compress_type = info.compress_type if compress_type is None else compress_type
    fresh.external_attr = info.external_attr
    fresh.create_system = info.create_system
    fresh.comment = info.comment
    return fresh


def rewrite(
    source: zipfile.ZipFile,
    out: BinaryIO,
    replacements: Mapping[str, bytes],
    stored_first: str | None = None,
) -> None:
    """Write `source` to `out` with `replacements` (member name -> new content).

    `stored_first` names a member that must come first and uncompressed (EPUB's `mimetype`).
    """
    members = source.infolist()
    if stored_first is not None:
        members = sorted(members, key=lambda info: info.filename != stored_first)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        target.comment = source.comment
        for info in members:
            force_stored = info.filename == stored_first and info.compress_type != zipfile.ZIP_STORED
            if info.filename in replacements or force_stored:
                data = replacements.get(info.filename)
                content = source.read(info) if data is None else data
                stored = zipfile.ZIP_STORED if info.filename == stored_first else None
                target.writestr(_replacement_info(info, stored), content)
                continue
            try:
                _copy_raw(source, target, info)
            except (NotImplementedError, zipfile.BadZipFile, AttributeError, struct.error):
                target.writestr(_replacement_info(info), source.read(info))
    out.write(buffer.getvalue())
