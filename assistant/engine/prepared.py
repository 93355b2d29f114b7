"""The prepared int8 model's file in the user's cache folder: where it lives, its key, writing it one
tensor at a time, checking and mapping it, and listing and removing what is kept.

See `assistant.engine.quantized` for what the file holds and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import platformdirs
import torch

from assistant.files import put_in_place, temporary_beside
from assistant.i18n import _

# 2: embedding tables stay 16-bit; 3: the int8 weights side by side, before the scales (a file of an
# earlier format is prepared again once)
FORMAT = "3"
CACHE_DIR_ENV = "ASSISTANT_CACHE_DIR"
SUFFIX = ".safetensors"
_SAMPLE = 4096  # bytes at each end of every tensor that the checksum covers
_PENDING = "--------"  # the checksum's place in the header until the data is written
_DTYPES = {
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.int16: "I16",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float32: "F32",
    torch.float64: "F64",
    torch.bool: "BOOL",
}
_TORCH_DTYPES = {code: dtype for dtype, code in _DTYPES.items()}


class DamagedCache(Exception):
    """The file is not a complete prepared model for this checkpoint."""


def cache_folder() -> Path:
    """$ASSISTANT_CACHE_DIR/quantized, else the user cache folder's (beside the Hugging Face cache)."""
    folder = os.environ.get(CACHE_DIR_ENV)
    base = Path(folder) if folder else platformdirs.user_cache_path("assistant", appauthor=False)
    return base / "quantized"


def _checkpoint_files(folder: Path) -> list[Path]:
    return sorted(
        path for path in folder.iterdir() if path.name.endswith(SUFFIX) or path.name == "config.json"
    )


def cache_key(folder: Path, precision: str) -> str:
    """What the prepared model depends on: the checkpoint's files, the precision, PyTorch, this format."""
    files = []
    for path in _checkpoint_files(folder):
        target = path.resolve()
        stat = target.stat()
        # A hub snapshot links each file to a blob named after its content hash.
        files.append([path.name, stat.st_size, stat.st_mtime_ns, target.name if target != path else ""])
    identity = {"files": files, "precision": precision, "torch": torch.__version__, "format": FORMAT}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


def source_name(folder: Path) -> str:
    """The model's name for people: the hub id of a downloaded model, else the folder."""
    from assistant.engine.models import hub_id_of_cache_folder

    return hub_id_of_cache_folder(folder) or str(folder)


def _slug(folder: Path) -> str:
    """A file-name-safe, unique prefix for one model's entries, the same for every revision of it."""
    source = source_name(folder)
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", source.strip("/").split("/")[-1])[:60]
    return f"{readable}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """Where the prepared model of one checkpoint in one precision lives."""

    folder: Path  # the checkpoint
    precision: str
    key: str
    path: Path

    @classmethod
    def for_checkpoint(cls, folder: Path, precision: str) -> CacheEntry:
        key = cache_key(folder, precision)
        return cls(folder, precision, key, cache_folder() / f"{_slug(folder)}--{precision}--{key}{SUFFIX}")

    def siblings(self) -> list[Path]:
        """Older entries of the same model and files left by interrupted writes."""
        prefix = self.path.name.split("--")[0] + "--"
        return [
            path
            for path in self.path.parent.glob(f"*{prefix}*")
            if path != self.path and (path.name.startswith(prefix) or path.name.startswith("." + prefix))
        ]


# ---- the file ---------------------------------------------------------------------------------------


def _int8_tensor_names(name: str, has_bias: bool) -> list[str]:
    names = [f"{name}.weight_int8", f"{name}.scales", f"{name}.zero_points"]
    return names + ([f"{name}.bias"] if has_bias else [])


def _stored_dtype(tensor: torch.Tensor, compact: set[int]) -> torch.dtype:
    """The type a tensor of the float rest has once prepared: float32, but for the 16-bit tables."""
    return torch.float32 if tensor.is_floating_point() and id(tensor) not in compact else tensor.dtype


def _as_bytes(tensor: torch.Tensor) -> memoryview:
    flat = tensor.detach().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().data if flat.numel() else memoryview(b"")


def _sample(data: memoryview | bytes) -> bytes:
    return bytes(data[:_SAMPLE]) + bytes(data[-_SAMPLE:]) if len(data) > 2 * _SAMPLE else bytes(data)


class _Writer:
    """A safetensors file written one tensor at a time, in an order fixed beforehand.

    The safetensors library writes a whole dictionary of tensors at once, which would hold every
    int8 weight in memory a second time; the layout it reads is simple enough to
    stream (8-byte header length, JSON header, data)."""

    def __init__(
        self, path: Path, layout: list[tuple[str, torch.dtype, list[int]]], metadata: dict[str, str]
    ):
        header: dict[str, Any] = {"__metadata__": {**metadata, "checksum": _PENDING}}
        offset = 0
        for name, dtype, shape in layout:
            size = torch.tensor([], dtype=dtype).element_size()
            for dim in shape:
                size *= dim
            header[name] = {"dtype": _DTYPES[dtype], "shape": shape, "data_offsets": [offset, offset + size]}
            offset += size
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        self.checksum_at = 8 + text.index(f'"{_PENDING}"'.encode()) + 1
        self.order = [name for name, _, _ in layout]
        self.sizes = {
            name: header[name]["data_offsets"][1] - header[name]["data_offsets"][0] for name in self.order
        }
        self.path = path
        self.file, self.temp = temporary_beside(path)  # closed in finish() or abandon()
        self.file.write(struct.pack("<Q", len(text)) + text)
        self.crc = 0
        self.next = 0

    def write(self, name: str, tensor: torch.Tensor) -> None:
        expected = self.order[self.next]
        if name != expected:
            raise ValueError(
                _("{name} written where {expected} belongs").format(name=name, expected=expected)
            )
        data = _as_bytes(tensor)
        if len(data) != self.sizes[name]:
            raise ValueError(
                _("{name} has {data} bytes, not {sizes}").format(
                    name=name, data=len(data), sizes=self.sizes[name]
                )
            )
        self.file.write(data)
        self.crc = zlib.crc32(_sample(data), self.crc)
        self.next += 1

    def finish(self) -> None:
        if self.next != len(self.order):
            raise ValueError(_("{value} tensors were not written").format(value=len(self.order) - self.next))
        self.file.seek(self.checksum_at)
        self.file.write(f"{self.crc:08x}".encode())
        self.file.close()
        put_in_place(self.temp, self.path)

    def abandon(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)


def read_header(path: Path) -> tuple[dict[str, Any], dict[str, str], int]:
    """The tensors' entries, the metadata and where the data starts; DamagedCache if they do not add up."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                raise DamagedCache("shorter than a header")
            (length,) = struct.unpack("<Q", head)
            if length > min(size - 8, 100 * 1024**2):
                raise DamagedCache("header longer than the file")
            header = json.loads(handle.read(length))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise DamagedCache(_("unreadable header ({error})").format(error=error)) from None
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__"), dict):
        raise DamagedCache("no metadata")
    metadata = header.pop("__metadata__")
    try:
        spans = sorted(tuple(entry["data_offsets"]) for entry in header.values())
    except (TypeError, KeyError):
        raise DamagedCache("malformed tensor entries") from None
    end = 0
    for begin, stop in spans:
        if begin != end or stop < begin:
            raise DamagedCache("tensors overlap or leave gaps")
        end = stop
    if 8 + length + end != size:
        raise DamagedCache(
            _("{size} bytes where the header describes {value} (cut short?)").format(
                size=size, value=8 + length + end
            )
        )
    return header, metadata, 8 + length


def _checksum(path: Path, header: dict[str, Any], start: int) -> str:
    crc = 0
    with open(path, "rb") as handle:
        for entry in sorted(header.values(), key=lambda entry: entry["data_offsets"][0]):
            begin, stop = entry["data_offsets"]
            if stop - begin > 2 * _SAMPLE:
                handle.seek(start + begin)
                data = handle.read(_SAMPLE)
                handle.seek(start + stop - _SAMPLE)
                data += handle.read(_SAMPLE)
            else:
                handle.seek(start + begin)
                data = handle.read(stop - begin)
            crc = zlib.crc32(data, crc)
    return f"{crc:08x}"


def verify(path: Path, key: str) -> tuple[dict[str, Any], dict[str, str], int]:
    """The header of a complete entry for `key`; DamagedCache otherwise."""
    header, metadata, start = read_header(path)
    if metadata.get("format") != FORMAT or metadata.get("key") != key:
        raise DamagedCache("made for another checkpoint, precision or version")
    if metadata.get("checksum") != _checksum(path, header, start):
        raise DamagedCache("checksum does not match")
    return header, metadata, start


def _map(path: Path, header: dict[str, Any], start: int) -> dict[str, torch.Tensor]:
    """Every tensor of the file as a view of one private mapping of it: pages come in as they are
    first used, from the page cache, and the system can drop them again; writing to a tensor would
    not change the file. (safetensors' own `get_tensor` copies each tensor.) A tensor whose place in
    the file does not suit its type's alignment is copied out instead."""
    try:
        mapped = torch.UntypedStorage.from_file(str(path), False, path.stat().st_size)
    except (OSError, RuntimeError) as error:
        raise DamagedCache(_("unreadable ({error})").format(error=error)) from None
    assert isinstance(mapped, torch.UntypedStorage)
    tensors = {}
    for name, entry in header.items():
        try:
            dtype = _TORCH_DTYPES[entry["dtype"]]
            shape = [int(dim) for dim in entry["shape"]]
            begin, stop = (start + int(offset) for offset in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise DamagedCache(_("{name} is malformed").format(name=name)) from None
        size = torch.tensor([], dtype=dtype).element_size()
        if math.prod(shape) * size != stop - begin:
            raise DamagedCache(_("{name} does not fill its place in the file").format(name=name))
        if begin % size == 0:
            stride = torch.empty(shape, device="meta").stride()
            tensors[name] = torch.empty(0, dtype=dtype).set_(mapped, begin // size, shape, stride)
        else:
            raw = torch.empty(0, dtype=torch.uint8).set_(mapped, begin, [stop - begin], [1])
            tensors[name] = raw.clone().view(dtype).reshape(shape)
    return tensors


# ---- what is kept -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SavedModel:
    path: Path
    source: str
    precision: str
    size: int


def saved_models() -> list[SavedModel]:
    """The prepared models in the cache folder, with their sizes."""
    folder = cache_folder()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        if path.name.startswith("."):
            continue
        try:
            _header, metadata, _size = read_header(path)
            source, precision = metadata.get("source", "?"), metadata.get("precision", "?")
        except DamagedCache:
            source, precision = _("(damaged; removed at the next start)"), "?"
        found.append(SavedModel(path, source, precision, path.stat().st_size))
    return found


def remove_saved() -> int:
    """Remove every prepared model and unfinished write; returns the bytes freed."""
    folder = cache_folder()
    freed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        if path.is_file() and (path.name.endswith((SUFFIX, ".tmp", ".lock"))):
            freed += path.stat().st_size
            path.unlink(missing_ok=True)
    return freed
