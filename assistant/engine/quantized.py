"""The int8 model for the processor, quantized once per checkpoint and kept in the user's cache folder.

The first int8 start quantizes the checkpoint's linear layers and writes them, with the float rest, to
one safetensors file (int8 weights, per-channel scales and zero points, float32 biases and everything
else). Every later start builds the model's skeleton on the meta device and fills it from that file:
no float linear layer is made and nothing is quantized again. The int8 layers (`Int8Linear`) use their
weights as they lie, so every tensor, int8 weights and float rest alike, is mapped from the file, not
read or copied: a later start is imports plus mapping. Only tensors and JSON are read from the file:
no pickle, nothing executed.

An entry is found by a key made of the checkpoint's files, the precision, the PyTorch version and this
file format. Files are identified by name, size and modification time, and, for a hub download, by the
name of the blob each file links to, which is its content hash: hashing 7.5 GB at every start would
cost more than the rest of the start. A file is written under a temporary name, synced and renamed, so
an interrupted write never takes the final name; on loading, its size is checked against its header
and a checksum of the start and end of every tensor against the one written, and a file that fails
either is removed and the model prepared again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import torch

from assistant.engine.memory import give_back_freed_memory
from assistant.engine.models import PREPARING
from assistant.files import sync_folder

if TYPE_CHECKING:
    from transformers import Blip2Config, Blip2ForConditionalGeneration, GenerationConfig

log = logging.getLogger(__name__)

FORMAT = "1"
CACHE_DIR_ENV = "ASSISTANT_CACHE_DIR"
SUFFIX = ".safetensors"
_TINY = 1e-12  # the smallest range a row of inputs is quantized over
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


# ---- quantizing -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Int8Parts:
    """One linear layer's int8 weights: per output channel, symmetric (as torch.ao quantizes them)."""

    weight: torch.Tensor  # int8, out x in
    scales: torch.Tensor  # float64, one per output channel
    zero_points: torch.Tensor  # int64, zeros
    bias: torch.Tensor | None  # float32


def quantize_linear(layer: torch.nn.Linear, scratch: torch.Tensor | None = None) -> Int8Parts:
    """The int8 weights of `layer`, equal to what `torch.ao`'s per-channel dynamic quantization makes.

    PyTorch's own path (`from_float`) runs an observer module and `quantize_per_channel`, and packs
    the weights for fbgemm three times; for OPT-2.7b that took 108 s, most of it there. Here the arithmetic runs
    in place on one float32 copy of the weight, in `scratch` when given (float32, at least the
    weight's size): a fresh copy for every layer costs a page fault for every 4 KiB of it.
    """
    with torch.no_grad():
        source = layer.weight.detach()
        if scratch is None:
            weight = source.to(torch.float32, copy=True)
        else:
            weight = scratch[: source.numel()].view(source.shape)
            weight.copy_(source)
        # The observer's symmetric range: the largest magnitude maps to 127.5 steps.
        largest = torch.linalg.vector_norm(weight, ord=float("inf"), dim=1)
        scales = torch.clamp(largest / 127.5, min=torch.finfo(torch.float32).eps)
        weight.mul_((1.0 / scales)[:, None]).round_().clamp_(-128, 127)
        bias = None if layer.bias is None else layer.bias.detach().to(torch.float32, copy=True)
        return Int8Parts(
            weight.to(torch.int8),
            scales.to(torch.float64),
            torch.zeros(scales.shape[0], dtype=torch.int64),
            bias,
        )


class Int8Linear(torch.nn.Module):
    """A linear layer whose weights stay int8 as they lie in memory or in the prepared file.

    PyTorch's dynamic int8 layer must repack its weights for fbgemm at every start (14-16 s for
    OPT-2.7b, a layout that cannot be saved). Here the input is quantized per row (symmetric, int8)
    at each call and multiplied by the int8 weights with `torch._int_mm`, which takes them as they
    are, transposed in place; the int32 result is scaled back by the row's and the channel's scales.
    So a later start only maps the weights from the file.
    """

    weight: torch.Tensor
    scales: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, weight: torch.Tensor, scales: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.register_buffer("weight", weight)  # int8, out x in
        self.register_buffer("scales", scales.to(torch.float32))  # one per output channel
        self.register_buffer("bias", None if bias is None else bias.to(torch.float32))

    @classmethod
    def from_parts(cls, parts: Int8Parts) -> Int8Linear:
        if bool(parts.zero_points.any()):
            raise ValueError("int8 weights with zero points other than 0 are not symmetric")
        return cls(parts.weight, parts.scales, parts.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.float32)
        step = torch.clamp(rows.abs().amax(dim=1, keepdim=True), min=_TINY) / 127.0
        quantized = torch.div(rows, step).round_().clamp_(-127, 127).to(torch.int8)
        out = torch._int_mm(quantized, self.weight.t()).to(torch.float32).mul_(step).mul_(self.scales)
        if self.bias is not None:
            out.add_(self.bias)
        return out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


def quantized_roots(model: Blip2ForConditionalGeneration) -> list[torch.nn.Module]:
    """The parts whose linear layers run in int8: the vision encoder and the language model."""
    return [model.vision_model, model.language_model]


def linear_layer_names(model: Blip2ForConditionalGeneration) -> list[str]:
    """Every nn.Linear under the quantized roots, by its full name in `model`."""
    roots = {id(root) for root in quantized_roots(model)}
    names = []
    for prefix, root in model.named_children():
        if id(root) in roots:
            names += [
                f"{prefix}.{name}" for name, module in root.named_modules() if type(module) is torch.nn.Linear
            ]
    return names


def _linear(model: torch.nn.Module, name: str) -> torch.nn.Linear:
    """The float linear layer called `name` (one that `linear_layer_names` lists)."""
    layer = model.get_submodule(name)
    assert isinstance(layer, torch.nn.Linear)
    return layer


def _parent(model: torch.nn.Module, name: str) -> tuple[torch.nn.Module, str]:
    parent, _, leaf = name.rpartition(".")
    return model.get_submodule(parent), leaf


def quantize_int8_(
    model: Blip2ForConditionalGeneration,
    on_layer: Callable[[str, Int8Parts], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Swap every linear layer of the vision encoder and language model for an `Int8Linear`.

    Layer by layer, each float layer let go as soon as it is replaced, so the peak memory stays near
    the 16-bit size; then the small remainder is cast to float32, which the int8 layers work in. `on_layer` sees each layer's int8 parts (to write them); `on_progress` the fraction done.
    """
    names = linear_layer_names(model)
    sizes = [_linear(model, name).weight.numel() for name in names]
    total = sum(sizes) or 1
    scratch = torch.empty(max(sizes, default=0), dtype=torch.float32)
    done = 0
    seconds = {"quantizing": 0.0, "writing": 0.0}
    for name in names:
        parent, leaf = _parent(model, name)
        layer = getattr(parent, leaf)
        started = time.perf_counter()
        parts = quantize_linear(layer, scratch)
        size = layer.weight.numel()
        del layer
        setattr(parent, leaf, Int8Linear.from_parts(parts))
        quantized = time.perf_counter()
        if on_layer is not None:
            on_layer(name, parts)
        seconds["quantizing"] += quantized - started
        seconds["writing"] += time.perf_counter() - quantized
        del parts
        done += size
        if on_progress is not None:
            on_progress(done / total)
    model.float()
    log.info("Quantized %d layers: %s", len(names), ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))


# ---- the file ---------------------------------------------------------------------------------------


def _int8_tensor_names(name: str, has_bias: bool) -> list[str]:
    names = [f"{name}.weight_int8", f"{name}.scales", f"{name}.zero_points"]
    return names + ([f"{name}.bias"] if has_bias else [])


def _rest(model: torch.nn.Module, quantized: list[str]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The parameters and buffers outside the quantized layers, each once, and the other names of shared ones."""
    skip = tuple(name + "." for name in quantized)
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[int, str] = {}
    named = [
        *model.named_parameters(remove_duplicate=False),
        *model.named_buffers(remove_duplicate=False),
    ]
    for name, tensor in named:
        if name.startswith(skip):
            continue
        if id(tensor) in seen:
            aliases[name] = seen[id(tensor)]
            continue
        seen[id(tensor)] = name
        tensors[name] = tensor
    return tensors, aliases


def _stored_dtype(tensor: torch.Tensor) -> torch.dtype:
    return torch.float32 if tensor.is_floating_point() else tensor.dtype


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
        self.temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.file = open(self.temp, "wb")  # noqa: SIM115 - closed in finish() or abandon()
        self.file.write(struct.pack("<Q", len(text)) + text)
        self.crc = 0
        self.next = 0

    def write(self, name: str, tensor: torch.Tensor) -> None:
        expected = self.order[self.next]
        if name != expected:
            raise ValueError(f"{name} written where {expected} belongs")
        data = _as_bytes(tensor)
        if len(data) != self.sizes[name]:
            raise ValueError(f"{name} has {len(data)} bytes, not {self.sizes[name]}")
        self.file.write(data)
        self.crc = zlib.crc32(_sample(data), self.crc)
        self.next += 1

    def finish(self) -> None:
        if self.next != len(self.order):
            raise ValueError(f"{len(self.order) - self.next} tensors were not written")
        self.file.seek(self.checksum_at)
        self.file.write(f"{self.crc:08x}".encode())
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.temp, self.path)
        sync_folder(self.path.parent)

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
        raise DamagedCache(f"unreadable header ({error})") from None
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
        raise DamagedCache(f"{size} bytes where the header describes {8 + length + end} (cut short?)")
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


# ---- writing and loading a model --------------------------------------------------------------------


def quantize_and_save(
    model: Blip2ForConditionalGeneration,
    entry: CacheEntry,
    on_progress: Callable[[float], None] | None = None,
) -> str | None:
    """Quantize `model` in place and write it to `entry`; returns a sentence if it could not be saved.

    The model is usable either way: a failure to write (a full disk, a read-only cache) only means
    the next start prepares it again."""
    names = linear_layer_names(model)
    layout: list[tuple[str, torch.dtype, list[int]]] = []
    quantized = []
    for name in names:
        layer = _linear(model, name)
        out_features, in_features = layer.weight.shape
        has_bias = layer.bias is not None
        quantized.append([name, has_bias])
        shapes = [[out_features, in_features], [out_features], [out_features], [out_features]]
        dtypes = [torch.int8, torch.float64, torch.int64, torch.float32]
        layout += zip(_int8_tensor_names(name, has_bias), dtypes, shapes, strict=False)
    rest, aliases = _rest(model, names)
    layout += [(name, _stored_dtype(tensor), list(tensor.shape)) for name, tensor in rest.items()]
    metadata = {
        "format": FORMAT,
        "key": entry.key,
        "precision": entry.precision,
        "source": source_name(entry.folder),
        "torch": torch.__version__,
        "quantized": json.dumps(quantized),
        "aliases": json.dumps(aliases),
    }
    writer: _Writer | None = None
    problem: str | None = None
    try:
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        writer = _Writer(entry.path, layout, metadata)
    except OSError as error:
        problem = _not_saved(entry, error)

    def write_layer(name: str, parts: Int8Parts) -> None:
        nonlocal writer, problem
        if writer is None:
            return
        try:
            tensors = [parts.weight, parts.scales, parts.zero_points] + (
                [parts.bias] if parts.bias is not None else []
            )
            for tensor_name, tensor in zip(
                _int8_tensor_names(name, parts.bias is not None), tensors, strict=True
            ):
                writer.write(tensor_name, tensor)
        except OSError as error:
            writer.abandon()
            writer, problem = None, _not_saved(entry, error)

    quantize_int8_(model, on_layer=write_layer, on_progress=on_progress)
    if writer is not None:
        rest, _ = _rest(model, names)  # float32 now
        try:
            for name, tensor in rest.items():
                writer.write(name, tensor)
            writer.finish()
        except OSError as error:
            writer.abandon()
            problem = _not_saved(entry, error)
    return problem


def _not_saved(entry: CacheEntry, error: OSError) -> str:
    log.warning("The prepared model could not be written to %s: %s", entry.path, error)
    return (
        f"The prepared model could not be saved in {entry.path.parent} ({error.strerror or error}), "
        "so it will be prepared again next time. Free some disk space there."
    )


def load_saved(
    entry: CacheEntry, config: Blip2Config, generation_config: GenerationConfig | None = None
) -> Blip2ForConditionalGeneration:
    """The int8 model rebuilt from `entry`: skeleton on the meta device, every tensor mapped from the
    file (the int8 weights as they lie, the float rest), nothing packed or copied but the scales.
    DamagedCache if the file does not fit."""
    from transformers import Blip2ForConditionalGeneration

    began = time.perf_counter()
    header, metadata, start = verify(entry.path, entry.key)
    try:
        quantized = [(str(name), bool(bias)) for name, bias in json.loads(metadata["quantized"])]
        aliases = {str(alias): str(name) for alias, name in json.loads(metadata["aliases"]).items()}
    except (KeyError, TypeError, ValueError):
        raise DamagedCache("malformed metadata") from None
    with torch.device("meta"):
        model = Blip2ForConditionalGeneration(config)
    if [name for name, _ in quantized] != linear_layer_names(model):
        raise DamagedCache("its layers are not this model's")
    expected = {tensor for name, bias in quantized for tensor in _int8_tensor_names(name, bias)}
    missing = sorted(expected - set(header))
    if missing:
        raise DamagedCache(f"{missing[0]} is missing")
    tensors = _map(entry.path, header, start)
    for name, has_bias in quantized:
        weight, scales, zero_points, *bias = (
            tensors.pop(tensor) for tensor in _int8_tensor_names(name, has_bias)
        )
        parts = Int8Parts(weight, scales, zero_points, bias[0] if bias else None)
        if weight.dtype != torch.int8 or tuple(_linear(model, name).weight.shape) != tuple(weight.shape):
            raise DamagedCache(f"{name} has the wrong type or shape")
        try:
            layer = Int8Linear.from_parts(parts)
        except ValueError as error:
            raise DamagedCache(f"{name}: {error}") from None
        parent, leaf = _parent(model, name)
        setattr(parent, leaf, layer)
    for name, tensor in [*tensors.items(), *((alias, tensors.get(name)) for alias, name in aliases.items())]:
        if tensor is None:
            raise DamagedCache(f"{name} is missing")
        _assign(model, name, tensor)
    left = [name for name, tensor in _named_tensors(model) if tensor.is_meta]
    if left:
        raise DamagedCache(f"{len(left)} tensors are missing, {left[0]} first")
    if generation_config is not None:
        model.generation_config = generation_config
    give_back_freed_memory()
    log.info("Loaded the prepared model %s in %.1f s", entry.path.name, time.perf_counter() - began)
    return model.eval()


def _map(path: Path, header: dict[str, Any], start: int) -> dict[str, torch.Tensor]:
    """Every tensor of the file as a view of one private mapping of it: pages come in as they are
    first used, from the page cache, and the system can drop them again; writing to a tensor would
    not change the file. (safetensors' own `get_tensor` copies each tensor.) A tensor whose place in
    the file does not suit its type's alignment is copied out instead."""
    try:
        mapped = torch.UntypedStorage.from_file(str(path), False, path.stat().st_size)
    except (OSError, RuntimeError) as error:
        raise DamagedCache(f"unreadable ({error})") from None
    assert isinstance(mapped, torch.UntypedStorage)
    tensors = {}
    for name, entry in header.items():
        try:
            dtype = _TORCH_DTYPES[entry["dtype"]]
            shape = [int(dim) for dim in entry["shape"]]
            begin, stop = (start + int(offset) for offset in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise DamagedCache(f"{name} is malformed") from None
        size = torch.tensor([], dtype=dtype).element_size()
        if math.prod(shape) * size != stop - begin:
            raise DamagedCache(f"{name} does not fill its place in the file")
        if begin % size == 0:
            stride = torch.empty(shape, device="meta").stride()
            tensors[name] = torch.empty(0, dtype=dtype).set_(mapped, begin // size, shape, stride)
        else:
            raw = torch.empty(0, dtype=torch.uint8).set_(mapped, begin, [stop - begin], [1])
            tensors[name] = raw.clone().view(dtype).reshape(shape)
    return tensors


def _named_tensors(model: torch.nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    yield from model.named_parameters(remove_duplicate=False)
    yield from model.named_buffers(remove_duplicate=False)


def _assign(model: torch.nn.Module, name: str, tensor: torch.Tensor) -> None:
    owner_name, _, leaf = name.rpartition(".")
    try:
        owner = model.get_submodule(owner_name)
    except AttributeError:
        raise DamagedCache(f"{name} is not part of this model") from None
    current = owner._parameters.get(leaf) if leaf in owner._parameters else owner._buffers.get(leaf)
    if current is None or tuple(current.shape) != tuple(tensor.shape):
        raise DamagedCache(f"{name} does not fit this model")
    if leaf in owner._parameters:
        owner._parameters[leaf] = torch.nn.Parameter(tensor, requires_grad=False)
    else:
        owner._buffers[leaf] = tensor


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
            _, metadata, _ = read_header(path)
            source, precision = metadata.get("source", "?"), metadata.get("precision", "?")
        except DamagedCache:
            source, precision = "(damaged; removed at the next start)", "?"
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


# ---- the start ----------------------------------------------------------------------------------------


def load_int8(
    folder: Path,
    load_float: Callable[[], Blip2ForConditionalGeneration],
    on_progress: Callable[[str], None] | None = None,
) -> tuple[Blip2ForConditionalGeneration, str | None]:
    """The int8 model of the checkpoint in `folder`: from the cache, or quantized (and saved) once.

    `load_float` loads the checkpoint as a float model, used only when there is no sound saved model.
    Returns the model and, where the prepared model could not be saved, a sentence saying so."""
    from filelock import FileLock
    from transformers import Blip2Config, GenerationConfig

    entry = CacheEntry.for_checkpoint(folder, "int8")
    config = Blip2Config.from_pretrained(folder)
    generation_config = (
        GenerationConfig.from_pretrained(folder) if (folder / "generation_config.json").is_file() else None
    )
    model = _load_if_sound(entry, config, generation_config)
    if model is not None:
        return model, None
    try:
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(entry.path.parent / f"{_slug(folder)}.lock")
        lock.acquire()  # another start of the app or a command may be preparing the same model
    except OSError as error:
        lock = None
        log.warning("No lock in %s: %s", entry.path.parent, error)
    try:
        if lock is not None:
            model = _load_if_sound(entry, config, generation_config)
            if model is not None:
                return model, None
            for stale in entry.siblings():
                log.info("Removing the outdated prepared model %s", stale)
                _remove(stale)
        if on_progress is not None:
            on_progress(PREPARING)
        model = load_float()
        said = -1

        def progress(fraction: float) -> None:
            nonlocal said
            percent = int(100 * fraction)
            if on_progress is not None and percent != said:
                said = percent
                on_progress(f"Preparing the model for this computer: {percent}%")

        problem = quantize_and_save(model, entry, on_progress=progress)
        return model, problem
    finally:
        if lock is not None:
            lock.release()


def _load_if_sound(
    entry: CacheEntry, config: Blip2Config, generation_config: GenerationConfig | None
) -> Blip2ForConditionalGeneration | None:
    if not entry.path.is_file():
        return None
    try:
        return load_saved(entry, config, generation_config)
    except DamagedCache as problem:
        log.warning("The prepared model %s is unusable (%s); preparing it again.", entry.path, problem)
        _remove(entry.path)
        return None


def _remove(path: Path) -> None:
    """Remove a file if the system lets us (Windows refuses while another app maps it: left for later)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        log.warning("Could not remove %s: %s", path, error)
