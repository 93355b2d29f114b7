"""Rewriting a zip archive with a few members replaced, copying every other member's compressed bytes
exactly as they were (same compression, same CRC, same timestamps)."""

from __future__ import annotations

import copy
import io
import struct
import zipfile
from collections.abc import Mapping
from typing import BinaryIO

from assistant.documents.model import DocumentError

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_DATA_DESCRIPTOR_FLAG = 0x08
_ENCRYPTED_FLAG = 0x01


def open_zip(raw: bytes, name: str, kind: str) -> zipfile.ZipFile:
    """Open an archive held in memory; a damaged one raises DocumentError."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        bad = "?"
    if bad is not None:
        raise DocumentError(
            f"{name} is not a valid {kind} file (the archive is damaged). Open and save it again."
        )
    return archive


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
    target._didModify = True


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
