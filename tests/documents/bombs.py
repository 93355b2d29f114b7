"""Zip and decompression bombs built small on disk: deflate streams of zeros made by repeating one
flushed block, so a 2 GiB member costs a few milliseconds and 2 MB to build."""

from __future__ import annotations

import os
import resource
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

_CHUNK = 1 << 20


def deflated_zeros(size: int, wrapper: bool = False) -> bytes:
    """A raw deflate stream (zlib-wrapped when `wrapper`) that inflates to `size` zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor forgets everything, so every full chunk compresses the same.
    block = compressor.compress(bytes(_CHUNK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(_CHUNK)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    full, rest = divmod(size, _CHUNK)
    stream = block * full + compressor.compress(bytes(rest)) + compressor.flush(zlib.Z_FINISH)
    if not wrapper:
        return stream
    adler = ((size % 65521) << 16) | 1  # adler32 of `size` zeros: a stays 1, b grows by 1 each byte
    return b"\x78\xda" + stream + struct.pack(">I", adler)


def add_bomb(archive: zipfile.ZipFile, name: str, size: int, declared: int | None = None) -> None:
    """Append a deflated member of `size` zeros that declares `declared` bytes (default: the truth).

    The CRC is left 0: nothing may inflate these members, and an inflated one fails on it besides.
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
    archive._didModify = True


def png_bomb(width: int, height: int) -> bytes:
    """A greyscale PNG of `width` x `height` black pixels, a few hundred KB on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = deflated_zeros((width + 1) * height, wrapper=True)  # a filter byte, then the row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def run_limited(script: str, memory_mb: int = 1500, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run Python code in a child with at most `memory_mb` of address space and `timeout` seconds, so
    that a regression fails the test instead of taking the machine down (or hanging it)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    return subprocess.run(
        [sys.executable, "-c", script],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
