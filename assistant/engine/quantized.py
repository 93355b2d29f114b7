"""The int8 model for the processor, quantized once per checkpoint and kept in the user's cache folder.

The first int8 start quantizes the checkpoint's linear layers and writes them, with the float rest, to
one safetensors file (int8 weights, per-channel scales and zero points, float32 biases and everything
else but the embedding tables, which stay 16-bit: see `int8.lookup_tables`). Every later start builds the model's skeleton on the meta device and fills it from that file:
no float linear layer is made and nothing is quantized again. The int8 layers (`Int8Linear`) use their
weights as they lie, so every tensor, int8 weights and float rest alike, is mapped from the file, not
read or copied: a later start is imports plus mapping (and, on a processor whose int8 product is faster
in oneDNN's layout, packing the largest layers: `int8_packed`). Only tensors and JSON are read from the file:
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

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from assistant.engine.int8 import (
    Int8Linear,
    Int8Parts,
    _linear,
    _parent,
    cast_looked_up_rows_,
    linear_layer_names,
    lookup_tables,
    quantize_int8_,
)
from assistant.engine.memory import give_back_freed_memory
from assistant.engine.models import PREPARING
from assistant.engine.prepared import (
    CACHE_DIR_ENV,
    FORMAT,
    CacheEntry,
    DamagedCache,
    _int8_tensor_names,
    _map,
    _slug,
    _stored_dtype,
    _Writer,
    cache_folder,
    read_header,
    remove_saved,
    saved_models,
    source_name,
    verify,
)
from assistant.i18n import _, os_reason

if TYPE_CHECKING:
    from transformers import GenerationConfig, PretrainedConfig, PreTrainedModel

__all__ = [
    "CACHE_DIR_ENV",
    "PREPARING",
    "CacheEntry",
    "DamagedCache",
    "Int8Linear",
    "cache_folder",
    "load_int8",
    "quantize_int8_",
    "read_header",
    "remove_saved",
    "saved_models",
    "verify",
]

log = logging.getLogger(__name__)


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


# ---- writing and loading a model --------------------------------------------------------------------


def quantize_and_save(
    model: PreTrainedModel,
    entry: CacheEntry,
    on_progress: Callable[[float], None] | None = None,
) -> str | None:
    """Quantize `model` in place and write it to `entry`; returns a sentence if it could not be saved.

    The model is usable either way: a failure to write (a full disk, a read-only cache) only means
    the next start prepares it again."""
    names = linear_layer_names(model)
    # Every layer's int8 weights first, side by side in the layers' order, so that layers a family
    # fuses are one view of the mapped file (`int8.fuse_int8`); their scales and biases after them.
    weights: list[tuple[str, torch.dtype, list[int]]] = []
    small: list[tuple[str, torch.dtype, list[int]]] = []
    quantized = []
    for name in names:
        layer = _linear(model, name)
        out_features, in_features = layer.weight.shape
        has_bias = layer.bias is not None
        quantized.append([name, has_bias])
        weight_name, *others = _int8_tensor_names(name, has_bias)
        weights.append((weight_name, torch.int8, [out_features, in_features]))
        small += zip(others, [torch.float64, torch.int64, torch.float32], [[out_features]] * 3, strict=False)
    layout = weights + small
    rest, aliases = _rest(model, names)
    compact = lookup_tables(model, names)
    layout += [(name, _stored_dtype(tensor, compact), list(tensor.shape)) for name, tensor in rest.items()]
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

    held: list[tuple[str, torch.Tensor]] = []  # the scales and biases, written after the weights

    def write_layer(name: str, parts: Int8Parts) -> None:
        nonlocal writer, problem
        weight_name, *others = _int8_tensor_names(name, parts.bias is not None)
        tensors = [parts.scales, parts.zero_points] + ([parts.bias] if parts.bias is not None else [])
        held.extend(zip(others, tensors, strict=True))
        if writer is None:
            return
        try:
            writer.write(weight_name, parts.weight)
        except OSError as error:
            writer.abandon()
            writer, problem = None, _not_saved(entry, error)

    quantize_int8_(model, on_layer=write_layer, on_progress=on_progress)
    if writer is not None:
        rest, _ = _rest(model, names)  # float32 now, but for the 16-bit tables
        try:
            for name, tensor in held:
                writer.write(name, tensor)
            for name, tensor in rest.items():
                writer.write(name, tensor)
            writer.finish()
        except OSError as error:
            writer.abandon()
            problem = _not_saved(entry, error)
    return problem


def _not_saved(entry: CacheEntry, error: OSError) -> str:
    log.warning("The prepared model could not be written to %s: %s", entry.path, error)
    return _(
        "The prepared model could not be saved in {parent} ({value}), so it will be prepared again next time. Free some disk space there."
    ).format(parent=entry.path.parent, value=os_reason(error))


def load_saved(
    entry: CacheEntry,
    model_class: type[PreTrainedModel],
    config: PretrainedConfig,
    generation_config: GenerationConfig | None = None,
) -> PreTrainedModel:
    """The int8 model rebuilt from `entry`: skeleton on the meta device, every tensor mapped from the
    file (the int8 weights as they lie, the float rest), nothing copied but the scales (packing, where it
    pays, is the engine's idle work once a family has laid out its layers: `loading.packing_for`).
    DamagedCache if the file does not fit."""
    began = time.perf_counter()
    header, metadata, start = verify(entry.path, entry.key)
    try:
        quantized = [(str(name), bool(bias)) for name, bias in json.loads(metadata["quantized"])]
        aliases = {str(alias): str(name) for alias, name in json.loads(metadata["aliases"]).items()}
    except (KeyError, TypeError, ValueError):
        raise DamagedCache("malformed metadata") from None
    with torch.device("meta"):
        model = model_class(config)
    if [name for name, _ in quantized] != linear_layer_names(model):
        raise DamagedCache("its layers are not this model's")
    expected = {tensor for name, bias in quantized for tensor in _int8_tensor_names(name, bias)}
    missing = sorted(expected - set(header))
    if missing:
        raise DamagedCache(_("{missing} is missing").format(missing=missing[0]))
    tensors = _map(entry.path, header, start)
    for name, has_bias in quantized:
        weight, scales, zero_points, *bias = (
            tensors.pop(tensor) for tensor in _int8_tensor_names(name, has_bias)
        )
        parts = Int8Parts(weight, scales, zero_points, bias[0] if bias else None)
        if weight.dtype != torch.int8 or tuple(_linear(model, name).weight.shape) != tuple(weight.shape):
            raise DamagedCache(_("{name} has the wrong type or shape").format(name=name))
        try:
            layer = Int8Linear.from_parts(parts)
        except ValueError as error:
            raise DamagedCache(f"{name}: {error}") from None
        parent, leaf = _parent(model, name)
        setattr(parent, leaf, layer)
    for name, tensor in [*tensors.items(), *((alias, tensors.get(name)) for alias, name in aliases.items())]:
        if tensor is None:
            raise DamagedCache(_("{name} is missing").format(name=name))
        _assign(model, name, tensor)
    left = [name for name, tensor in _named_tensors(model) if tensor.is_meta]
    if left:
        raise DamagedCache(
            _("{left} tensors are missing, {left2} first").format(left=len(left), left2=left[0])
        )
    cast_looked_up_rows_(model)
    if generation_config is not None:
        model.generation_config = generation_config
    give_back_freed_memory()
    log.info("Loaded the prepared model %s in %.1f s", entry.path.name, time.perf_counter() - began)
    return model.eval()


def _named_tensors(model: torch.nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    yield from model.named_parameters(remove_duplicate=False)
    yield from model.named_buffers(remove_duplicate=False)


def _assign(model: torch.nn.Module, name: str, tensor: torch.Tensor) -> None:
    owner_name, _dot, leaf = name.rpartition(".")
    try:
        owner = model.get_submodule(owner_name)
    except AttributeError:
        raise DamagedCache(_("{name} is not part of this model").format(name=name)) from None
    current = owner._parameters.get(leaf) if leaf in owner._parameters else owner._buffers.get(leaf)
    if current is None or tuple(current.shape) != tuple(tensor.shape):
        raise DamagedCache(_("{name} does not fit this model").format(name=name))
    if leaf in owner._parameters:
        owner._parameters[leaf] = torch.nn.Parameter(tensor, requires_grad=False)
    else:
        owner._buffers[leaf] = tensor


# ---- the start ----------------------------------------------------------------------------------------


def load_int8(
    folder: Path,
    model_class: type[PreTrainedModel],
    load_float: Callable[[], PreTrainedModel],
    on_progress: Callable[[str], None] | None = None,
) -> tuple[PreTrainedModel, str | None]:
    """The int8 model of the checkpoint in `folder`: from the cache, or quantized (and saved) once.

    `load_float` loads the checkpoint as a float model, used only when there is no sound saved model.
    Returns the model and, where the prepared model could not be saved, a sentence saying so."""
    from filelock import FileLock
    from transformers import AutoConfig, GenerationConfig

    entry = CacheEntry.for_checkpoint(folder, "int8")
    config = AutoConfig.from_pretrained(folder)
    generation_config = (
        GenerationConfig.from_pretrained(folder) if (folder / "generation_config.json").is_file() else None
    )
    model = _load_if_sound(entry, model_class, config, generation_config)
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
            model = _load_if_sound(entry, model_class, config, generation_config)
            if model is not None:
                return model, None
            for stale in entry.siblings():
                log.info("Removing the outdated prepared model %s", stale)
                _remove(stale)
        if on_progress is not None:
            on_progress(_(PREPARING))
        model = load_float()
        said = -1

        def progress(fraction: float) -> None:
            nonlocal said
            percent = int(100 * fraction)
            if on_progress is not None and percent != said:
                said = percent
                on_progress(_("Preparing the model for this computer: {percent}%").format(percent=percent))

        problem = quantize_and_save(model, entry, on_progress=progress)
        if problem is None:
            # This session runs as every later start does, mapped from the file just written: the
            # quantized copy's memory goes back, and a packed layer's pages can too (`int8_packed`).
            saved = _load_if_sound(entry, model_class, config, generation_config)
            if saved is not None:
                return saved, None
        return model, problem
    finally:
        if lock is not None:
            lock.release()


def _load_if_sound(
    entry: CacheEntry,
    model_class: type[PreTrainedModel],
    config: PretrainedConfig,
    generation_config: GenerationConfig | None,
) -> PreTrainedModel | None:
    if not entry.path.is_file():
        return None
    try:
        return load_saved(entry, model_class, config, generation_config)
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
