"""int8 linear layers for the processor: quantizing a model's linear layers in place, and the layer that
multiplies with int8 weights as they lie (so a prepared model is only mapped from its file at a later start).

Which parts of a model are quantized is its family's choice (`Family.int8_roots`), found from the model's
class name, so one model-level function serves every family.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

import torch

from assistant.engine.int8_packed import PackedInt8, give_back_pages, packing_pays, shifted_rows

log = logging.getLogger(__name__)

_TINY = 1e-12  # the smallest range a row of inputs is quantized over
# int8's steps each side of zero, kept as a tensor: a Python number is made a tensor at every call
# (the same division, 2 us less; 109 calls a token for Qwen3.5).
_STEPS = torch.tensor(127.0)
# The widest one-row output scaled in one mixed int32 x float32 pass: wider, that pass is slower than
# a cast and an in-place multiply (Qwen3.5's head, 248320 wide: 250 against 175 us a token's scaling).
_MIXED_WIDEST = 32768


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
        # The weight in oneDNN's layout where this processor multiplies it faster so (`Packing`).
        self.packed: PackedInt8 | None = None

    @classmethod
    def from_parts(cls, parts: Int8Parts) -> Int8Linear:
        if bool(parts.zero_points.any()):
            raise ValueError("int8 weights with zero points other than 0 are not symmetric")
        return cls(parts.weight, parts.scales, parts.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # At one token a step the calls cost more than the arithmetic: no cast to a dtype the tensor
        # has, in-place steps, and the int32 product scaled by the row's step as it becomes float32
        # (the same numbers; 15-20 us less a call).
        rows = x.reshape(-1, self.in_features)
        if rows.dtype != torch.float32:
            rows = rows.to(torch.float32)
        out = scaled_product(rows, self.weight.t(), self.packed)
        if self.bias is None:
            out.mul_(self.scales)
        else:  # scales and bias in one pass over the output
            torch.addcmul(self.bias, out, self.scales, out=out)
        out = out.view(*x.shape[:-1], self.out_features)
        return out if out.dtype == x.dtype else out.to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )


def scaled_product(
    rows: torch.Tensor, weight_t: torch.Tensor, packed: PackedInt8 | None = None
) -> torch.Tensor:
    """`rows` (float32) quantized per row, multiplied by the int8 `weight_t` (in x out), or by the
    same weight `packed`, and scaled back by each row's step: an int8 layer's output before its
    channels' scales and bias. The same numbers either way (`int8_packed`)."""
    step = rows.abs().amax(dim=1, keepdim=True).clamp_(min=_TINY).div_(_STEPS)
    # |row / step| <= 127 by the choice of step (rounding adds a hair, never 0.5): no clamp, whose
    # pass cost as much as the rest of quantizing a picture's rows.
    if packed is not None:  # the integer sums, already float32
        return packed.sums(shifted_rows(rows, step)).mul_(step)
    quantized = torch.div(rows, step).round_().to(torch.int8)
    product = torch._int_mm(quantized, weight_t)
    # One mixed int32 x float32 pass pays at one row of a layer's width; over many rows, or one
    # row as wide as a head, it takes a slow path (2x at 1024 x 2304: SmolVLM2's vision encoder
    # 1.05x), so there the product is cast, then scaled (the same numbers).
    if rows.shape[0] == 1 and weight_t.shape[1] <= _MIXED_WIDEST:
        return torch.mul(product, step)
    return product.to(torch.float32).mul_(step)


def _side_by_side(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """The weights' rows one after the other: a view where they already lie so in one storage (a
    prepared file holds every layer's int8 weights in the order of its layers), else a copy."""
    first = weights[0]
    rows = sum(weight.shape[0] for weight in weights)
    offset = first.storage_offset()
    adjacent = True
    for weight in weights:
        adjacent = adjacent and (
            weight.is_contiguous()
            and weight.storage_offset() == offset
            and weight.untyped_storage().data_ptr() == first.untyped_storage().data_ptr()
        )
        offset += weight.numel()
    if adjacent:
        return first.as_strided((rows, first.shape[1]), (first.shape[1], 1))
    return torch.cat(list(weights))


def fuse_int8(layers: Sequence[Int8Linear]) -> Int8Linear:
    """One int8 layer whose output is the outputs of `layers`, which read one input, side by side.

    The same numbers as the layers apart: the input is quantized per row and the weights per output
    channel, so each output is the same exact integer product scaled by the same two scales. One
    product quantizes the input once and pays an int8 call's fixed cost once (about 30 us at one
    row). The weights are a view where they lie side by side (`_side_by_side`): no memory is added.
    """
    if len({layer.in_features for layer in layers}) != 1:
        raise ValueError("only layers that read inputs of one width can be fused")
    bias = None
    if any(layer.bias is not None for layer in layers):
        bias = torch.cat(
            [torch.zeros(layer.out_features) if layer.bias is None else layer.bias for layer in layers]
        )
    weight = _side_by_side([layer.weight for layer in layers])
    return Int8Linear(weight, torch.cat([layer.scales for layer in layers]), bias)


def fuse_int8_layers_(module: torch.nn.Module, names: Sequence[str], fused_name: str) -> bool:
    """Give `module` one layer `fused_name` computing its int8 layers `names` (which read one input)
    side by side, if they are all int8 on the processor; each of them becomes a view of its rows, so
    code that calls them apart still works and nothing is held twice. Whether it fused them."""
    layers = [getattr(module, name, None) for name in names]
    if not all(type(layer) is Int8Linear and layer.weight.device.type == "cpu" for layer in layers):
        return False
    fused = fuse_int8([layer for layer in layers if isinstance(layer, Int8Linear)])
    start = 0
    for name, layer in zip(names, layers, strict=True):
        assert layer is not None
        rows = slice(start, start + layer.out_features)
        bias = None if fused.bias is None or layer.bias is None else fused.bias[rows]
        setattr(module, name, Int8Linear(fused.weight[rows], fused.scales[rows], bias))
        start = rows.stop
    setattr(module, fused_name, fused)
    return True


def quantized_roots(model: torch.nn.Module) -> list[str]:
    """The names of the parts whose linear layers run in int8, as the model's family says."""
    from assistant.engine.families import family_of_architecture

    return list(family_of_architecture(type(model).__name__).int8_roots)


def linear_layer_names(model: torch.nn.Module, roots: Sequence[str] | None = None) -> list[str]:
    """Every nn.Linear under the quantized roots (a root may be one linear layer, such as a head), by its
    full name in `model`."""
    names = []
    for root_name in quantized_roots(model) if roots is None else roots:
        root = model.get_submodule(root_name)
        names += [
            f"{root_name}.{name}" if name else root_name
            for name, module in root.named_modules()
            if type(module) is torch.nn.Linear
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


def lookup_tables(model: torch.nn.Module, quantized: Sequence[str]) -> set[int]:
    """The ids of the 16-bit embedding tables under the int8 roots that stay 16-bit on the processor.

    A table is only looked up, a few rows a step, so keeping it bf16 costs one cast of those rows
    (`cast_looked_up_rows_`) and halves its memory and its part of the prepared file: Gemma 4 E2B's
    per-layer table alone is 2.35 billion numbers, 9.4 GB in float32. A table that a float layer
    outside the `quantized` ones also multiplies with (a tied head left float) goes float32 with it.
    """
    skip = set(quantized)
    roots = tuple(quantized_roots(model))
    multiplied = {
        id(tensor)
        for name, module in model.named_modules()
        if name not in skip and not isinstance(module, torch.nn.Embedding)
        for tensor in (*module._parameters.values(), *module._buffers.values())
        if tensor is not None
    }
    return {
        id(module.weight)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Embedding)
        and any(name == root or name.startswith(root + ".") for root in roots)
        and module.weight.dtype in (torch.bfloat16, torch.float16)
        and id(module.weight) not in multiplied
    }


def _to_float32(_module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> torch.Tensor:
    return output.to(torch.float32)


def cast_looked_up_rows_(model: torch.nn.Module) -> None:
    """Make every 16-bit embedding table's rows float32 as they are looked up, as the rest of the
    model computes in float32 (a bf16 hidden state would carry bf16 through every norm)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Embedding) and module.weight.dtype in (torch.bfloat16, torch.float16):
            module.register_forward_hook(_to_float32)


def quantize_int8_(
    model: torch.nn.Module,
    on_layer: Callable[[str, Int8Parts], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> None:
    """Swap every linear layer under the family's int8 roots for an `Int8Linear`.

    Layer by layer, each float layer let go as soon as it is replaced, so the peak memory stays near
    the 16-bit size; then the remainder is cast to float32, which the int8 layers work in, but for the
    embedding tables (`lookup_tables`). `on_layer` sees each layer's int8 parts (to write them);
    `on_progress` the fraction done.
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
    compact = lookup_tables(model, names)
    for module in model.modules():
        for tensors in (module._parameters, module._buffers):
            for tensor in tensors.values():
                if tensor is not None and tensor.is_floating_point() and id(tensor) not in compact:
                    # .data keeps a tied tensor tied: every name of it sees the one cast.
                    tensor.data = tensor.data.to(torch.float32)
    cast_looked_up_rows_(model)
    log.info("Quantized %d layers: %s", len(names), ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))


class Packing:
    """Packing `model`'s int8 layers for oneDNN where this processor multiplies faster so
    (`int8_packed.packing_pays`): one layer a step, the largest first, each packed weight's pages of the
    prepared file given back. The model's owner runs the steps while the model is idle (the app's model
    thread between requests), so a start does not wait for them. A layer that is rows of another
    (`fuse_int8_layers_`) is left as it is: the larger one carries its product."""

    def __init__(self, model: torch.nn.Module) -> None:
        self._model: torch.nn.Module | None = model
        self._left: list[Int8Linear] = []
        self._seconds = 0.0  # spent packing, for the log

    def step(self) -> bool:
        """Pack one more layer (the first step decides whether any is); whether any is left."""
        if self._model is not None:
            model, self._model = self._model, None
            if packing_pays():
                self._left = sorted(_unpacked_roots(model), key=lambda layer: layer.weight.nbytes)
            log.info("%d int8 layers to pack", len(self._left))
        if self._left:
            began = time.perf_counter()
            layer = self._left.pop()
            if layer.packed is None:
                layer.packed = PackedInt8(layer.weight)
                give_back_pages(layer.weight)
            self._seconds += time.perf_counter() - began
            if not self._left:
                log.info("Packed the int8 layers in %.1f s", self._seconds)
        return bool(self._left)


def _unpacked_roots(model: torch.nn.Module) -> list[Int8Linear]:
    """`model`'s unpacked int8 layers on the processor that are not rows of another."""
    layers = [layer for layer in dict.fromkeys(model.modules()) if type(layer) is Int8Linear]
    spans = [(layer.weight.data_ptr(), layer.weight.data_ptr() + layer.weight.nbytes) for layer in layers]
    return [
        layer
        for layer, (start, end) in zip(layers, spans, strict=True)
        if layer.weight.device.type == "cpu"
        and layer.weight.dtype == torch.int8
        and layer.weight.is_contiguous()
        and layer.packed is None
        and not any(low <= start and end <= high and high - low > end - start for low, high in spans)
    ]
