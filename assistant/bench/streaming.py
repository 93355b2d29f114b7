"""Write a random checkpoint of any size without holding it whole in memory.

The model is built on the meta device (shapes, no memory). Its weights are then made one module at a
time: the module's own tensors are put in memory, given the values the model's own `_init_weights` gives
a new model (normal with the config's 0.02 for matrices, ones for norms, each family's own scalars and
buffers), written straight into their safetensors shard and handed back to the meta device. What is held
at once is the largest single module's tensors (Gemma 4 E2B's per-layer embedding table, 4.7 GB), not
the model (10 GB in bfloat16, and twice that while `save_pretrained` serialised it).

The files are what `save_pretrained` writes: safetensors shards with the index transformers reads, the
tied weights once, the config and generation config; `from_pretrained` loads them as a download.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

SHARD_BYTES = 2 * 1024**3
# Called with each tensor's saved name and its values before they are written, to change them in place.
Edit = Callable[[str, "torch.Tensor"], None]


@dataclass(frozen=True)
class _Entry:
    name: str  # the name in the checkpoint
    local: str  # the name in its module
    dtype: str  # safetensors' name of the dtype
    shape: tuple[int, ...]
    size: int  # bytes


def _safetensors_dtype(dtype: torch.dtype) -> str:
    import torch

    names = {
        torch.bfloat16: "BF16",
        torch.float16: "F16",
        torch.float32: "F32",
        torch.float64: "F64",
        torch.int64: "I64",
        torch.int32: "I32",
        torch.int16: "I16",
        torch.int8: "I8",
        torch.uint8: "U8",
        torch.bool: "BOOL",
    }
    return names[dtype]


def _owners(model: Any) -> Iterator[tuple[str, Any, Any]]:
    """(prefix, module, the PreTrainedModel whose `_init_weights` initialises it) for every module, children
    before their parent, as `initialize_weights` visits them."""
    from transformers import PreTrainedModel

    def walk(prefix: str, module: Any, owner: Any) -> Iterator[tuple[str, Any, Any]]:
        for name, child in module.named_children():
            yield from walk(f"{prefix}{name}.", child, child if isinstance(child, PreTrainedModel) else owner)
        yield prefix, module, owner

    yield from walk("", model, model)


def _saved_names(model: Any) -> set[str]:
    """The names `save_pretrained` writes: the state dict less the tied copies."""
    from transformers.modeling_utils import remove_tied_weights_from_state_dict

    return set(remove_tied_weights_from_state_dict(model.state_dict(), model))


def _own_tensors(module: Any) -> Iterator[tuple[str, Any]]:
    yield from module.named_parameters(recurse=False)
    yield from module.named_buffers(recurse=False)


def _plan(model: Any) -> list[list[_Entry]]:
    """Every saved tensor in the order it is written, cut into shards of at most SHARD_BYTES."""
    saved = _saved_names(model)
    shards: list[list[_Entry]] = [[]]
    filled = 0
    for prefix, module, _ in _owners(model):
        for local, tensor in _own_tensors(module):
            if tensor is None or f"{prefix}{local}" not in saved:
                continue
            size = tensor.numel() * tensor.element_size()
            if filled and filled + size > SHARD_BYTES:
                shards.append([])
                filled = 0
            shards[-1].append(
                _Entry(f"{prefix}{local}", local, _safetensors_dtype(tensor.dtype), tuple(tensor.shape), size)
            )
            filled += size
    return shards


def _header(entries: list[_Entry]) -> bytes:
    """A safetensors header: each tensor's dtype, shape and byte range, padded to 8 bytes as the format's
    own writer pads it."""
    layout: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for entry in entries:
        layout[entry.name] = {
            "dtype": entry.dtype,
            "shape": list(entry.shape),
            "data_offsets": [offset, offset + entry.size],
        }
        offset += entry.size
    text = json.dumps(layout, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def _file_names(count: int) -> list[str]:
    if count == 1:
        return ["model.safetensors"]
    return [f"model-{index:05d}-of-{count:05d}.safetensors" for index in range(1, count + 1)]


def write_weights(model: Any, folder: Path, edit: Edit | None = None) -> list[Path]:
    """Write the meta-device `model`'s weights into `folder`, random as `_init_weights` makes them, one
    module in memory at a time; returns the shard files."""
    import torch
    from transformers import initialization

    shards = _plan(model)
    names = _file_names(len(shards))
    order = [entry for shard in shards for entry in shard]
    where = {entry.name: index for index, shard in enumerate(shards) for entry in shard}
    files = [open(folder / name, "wb") for name in names]  # noqa: SIM115 (closed below, all together)
    try:
        for file, shard in zip(files, shards, strict=True):
            file.write(_header(shard))
        pending = iter(order)
        with torch.no_grad(), initialization.guard_torch_init_functions():
            for prefix, module, owner in _owners(model):
                own = [(local, tensor) for local, tensor in _own_tensors(module) if tensor is not None]
                if not any(f"{prefix}{local}" in where for local, _ in own):
                    continue
                module.to_empty(device="cpu", recurse=False)
                owner._init_weights(module)
                for local, tensor in _own_tensors(module):
                    name = f"{prefix}{local}"
                    if tensor is None or name not in where:
                        continue
                    entry = next(pending)
                    assert entry.name == name, (entry.name, name)  # written in the planned order
                    if edit is not None:
                        edit(name, tensor)
                    files[where[name]].write(tensor.contiguous().view(-1).view(torch.uint8).numpy().data)
                module.to_empty(device="meta", recurse=False)  # gives the memory back
    finally:
        for file in files:
            file.close()
    if len(shards) > 1:
        index = {
            "metadata": {"total_size": sum(entry.size for entry in order)},
            "weight_map": {entry.name: names[where[entry.name]] for entry in order},
        }
        (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2, sort_keys=True))
    return [folder / name for name in names]


def build_on_meta(config: Any, dtype: torch.dtype) -> Any:
    """The model of `config` on the meta device in `dtype` (the parts the class keeps in float32 so)."""
    import torch
    from transformers import AutoModelForImageTextToText

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device("meta"):
            return AutoModelForImageTextToText.from_config(config)
    finally:
        torch.set_default_dtype(previous)


def save_streaming(model: Any, folder: str | Path, edit: Edit | None = None) -> Path:
    """Write the meta-device `model` as `save_pretrained` would (weights, config, generation config)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.config.architectures = [type(model).__name__]
    model.config.dtype = str(model.dtype).split(".")[1]
    model.config.save_pretrained(folder)
    if model.can_generate():
        model.generation_config.save_pretrained(folder)
    write_weights(model, folder, edit)
    return folder
