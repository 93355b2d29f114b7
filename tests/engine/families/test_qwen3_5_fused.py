"""Int8 layers that read one input, fused into one product (`int8.fuse_int8`), give the numbers the
layers give apart, exactly: Qwen3.5's delta-net input projections and feed-forward gate and up
(`qwen3_5/deltanet.py`, `qwen3_5/mlp.py`). A later start fuses them as views of the prepared file.
The RMS norms in one call each (`qwen3_5/norms.py`) give transformers' numbers."""

from __future__ import annotations

import copy

import pytest
import torch
from PIL import Image
from transformers.models.qwen3_5.modeling_qwen3_5 import Qwen3_5MLP, Qwen3_5RMSNorm, Qwen3_5RMSNormGated

from assistant.engine import load_engine, quantized
from assistant.engine.families.qwen3_5.deltanet import IN_PROJ, DecodingGatedDeltaNet
from assistant.engine.families.qwen3_5.mlp import GATE_UP, FusedMLP
from assistant.engine.families.qwen3_5.norms import FusedRMSNorm, gated_rms_norm
from assistant.engine.int8 import Int8Linear, fuse_int8, fuse_int8_layers_, quantize_linear


def _layer(rows: int, width: int, seed: int, bias: bool) -> Int8Linear:
    torch.manual_seed(seed)
    return Int8Linear.from_parts(quantize_linear(torch.nn.Linear(width, rows, bias=bias)))


@pytest.mark.parametrize("rows", [1, 5])
def test_a_fused_layer_gives_each_layers_output_exactly(rows) -> None:
    layers = [_layer(24, 32, 0, True), _layer(8, 32, 1, False), _layer(3, 32, 2, True)]
    x = torch.randn(rows, 1, 32) * 3
    fused = fuse_int8(layers)(x)
    parts = fused.split([layer.out_features for layer in layers], dim=-1)
    for part, layer in zip(parts, layers, strict=True):
        assert torch.equal(part, layer(x))  # a split in another order or width would differ


def test_layers_side_by_side_in_one_storage_are_fused_as_a_view() -> None:
    storage = torch.randint(-127, 127, (48 * 16,), dtype=torch.int8)
    scales = torch.rand(40)
    apart = [Int8Linear(storage[:384].view(24, 16), scales[:24], None)]
    apart.append(Int8Linear(storage[384:640].view(16, 16), scales[24:], None))
    fused = fuse_int8(apart)
    assert fused.weight.data_ptr() == storage.data_ptr()
    assert torch.equal(fused.weight, storage[:640].view(40, 16))
    gap = [apart[0], Int8Linear(storage[400:656].view(16, 16), scales[24:], None)]
    copied = fuse_int8(gap)  # not side by side: a copy, with the right rows
    assert copied.weight.data_ptr() != storage.data_ptr()
    assert torch.equal(copied.weight[24:], storage[400:656].view(16, 16))


def test_layers_of_other_widths_or_in_float_are_not_fused() -> None:
    with pytest.raises(ValueError):
        fuse_int8([_layer(4, 16, 0, False), _layer(4, 8, 0, False)])
    module = torch.nn.Module()
    module.a, module.b = torch.nn.Linear(4, 4), _layer(4, 4, 0, False)
    assert not fuse_int8_layers_(module, ("a", "b"), "ab")
    assert not hasattr(module, "ab")


def _picture() -> Image.Image:
    pixels = torch.randint(
        0, 256, (96, 128, 3), generator=torch.Generator().manual_seed(2), dtype=torch.uint8
    )
    return Image.fromarray(pixels.numpy())


def _set_fused(
    model: torch.nn.Module, fused: dict[int, torch.nn.Module] | None
) -> dict[int, torch.nn.Module]:
    """Take the fused layers out (None) or put `fused` back; the layers apart stay either way."""
    taken = {}
    for module in model.modules():
        if isinstance(module, DecodingGatedDeltaNet):
            if fused is None:
                taken[id(module)] = module._modules.pop(IN_PROJ)
            else:
                module._modules[IN_PROJ] = fused[id(module)]
        elif isinstance(module, Qwen3_5MLP):
            module.__class__ = Qwen3_5MLP if fused is None else FusedMLP
    return taken


@pytest.fixture(scope="module")
def int8_starts(tiny_qwen_dir, tmp_path_factory):
    """The tiny Qwen3.5 in int8: its first start (quantized) and a later one (mapped from the file)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path_factory.mktemp("cache")))
        first = load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)
        later = load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)
    return first, later


def test_the_int8_engine_fuses_and_decodes_exactly_as_the_layers_apart(int8_starts) -> None:
    _first, engine = int8_starts
    model = engine.model
    deltanets = [m for m in model.modules() if isinstance(m, DecodingGatedDeltaNet)]
    mlps = [m for m in model.modules() if isinstance(m, Qwen3_5MLP)]
    assert deltanets and all(IN_PROJ in m._modules for m in deltanets)
    assert mlps and all(type(m) is FusedMLP and GATE_UP in m._modules for m in mlps)
    inputs = engine.inputs([engine.conversation("Describe this picture.")], [_picture()])
    outputs = []
    fused = _set_fused(model, None)
    try:
        for setting in ("apart", "fused"):
            if setting == "fused":
                _set_fused(model, fused)
            with torch.inference_mode():
                output = model.generate(
                    **inputs,
                    do_sample=False,
                    max_new_tokens=8,
                    min_new_tokens=8,
                    output_logits=True,
                    return_dict_in_generate=True,
                )
            outputs.append((output.sequences, torch.stack(output.logits)))
    finally:
        if IN_PROJ not in deltanets[0]._modules:
            _set_fused(model, fused)
    (apart, apart_logits), (together, together_logits) = outputs
    assert torch.equal(apart, together)
    assert float(apart_logits.abs().max()) > 0
    assert torch.equal(apart_logits, together_logits)


def test_a_later_start_fuses_views_of_the_prepared_file(int8_starts) -> None:
    """The prepared file holds the int8 weights side by side in the layers' order: the fused weight is
    the file's bytes, and each layer apart a view of its rows; nothing is copied. The first start, once
    it has written the file, runs from it too."""
    first, later = int8_starts
    for engine, mapped in ((first, True), (later, True)):
        layer = next(m for m in engine.model.modules() if isinstance(m, DecodingGatedDeltaNet))
        fused, qkv = layer._modules[IN_PROJ], layer.in_proj_qkv
        assert qkv.weight.data_ptr() == fused.weight.data_ptr()  # the rows of the fused weight
        file_sized = fused.weight.untyped_storage().nbytes() > 4 * fused.weight.numel()
        assert file_sized is mapped
        if mapped:
            assert (
                layer.in_proj_a.weight.data_ptr() == fused.weight[-layer.in_proj_a.out_features :].data_ptr()
            )


def test_the_fused_rms_norms_give_transformers_numbers() -> None:
    """`norms.py`: the plain norm (weight an offset from 1) and the gated one (silu of the gate), for
    float32 rows; other dtypes go to transformers' code."""
    torch.manual_seed(0)
    x, gate = torch.randn(3, 5, 64) * 3, torch.randn(3, 5, 64)
    plain = Qwen3_5RMSNorm(64)
    plain.weight.data.normal_()  # not zeros: an offset forgotten would show
    fused = copy.deepcopy(plain)
    fused.__class__ = FusedRMSNorm
    with torch.inference_mode():
        _close(fused(x), plain(x))
        assert torch.equal(fused(x.bfloat16()), plain(x.bfloat16()))
        gated = Qwen3_5RMSNormGated(64)
        gated.weight.data.normal_()
        _close(gated_rms_norm(gated, x, gate), gated(x, gate))
        assert torch.equal(gated_rms_norm(gated, x.bfloat16(), gate), gated(x.bfloat16(), gate))


def _close(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    """Within 1e-6 of the largest magnitude: float32 sums in another order at most (they measure 0)."""
    assert float((ours - theirs).abs().max()) <= 1e-6 * float(theirs.abs().max())


def test_the_engine_uses_the_fused_norms(int8_starts) -> None:
    _first, engine = int8_starts
    norms = [m for m in engine.model.modules() if isinstance(m, Qwen3_5RMSNorm)]
    assert norms and all(type(m) is FusedRMSNorm for m in norms)


def test_the_kept_norm_weight_gives_the_multiply_after_and_follows_the_weight() -> None:
    """`FusedRMSNorm` passes its kept `1 + weight` to `rms_norm`: the numbers of multiplying after the
    call, exactly; a weight changed in place or replaced is seen at the next call."""
    torch.manual_seed(1)
    norm = Qwen3_5RMSNorm(64)
    norm.__class__ = FusedRMSNorm
    x = torch.randn(2, 3, 64) * 5
    for change in ("none", "in place", "replaced"):
        if change == "in place":
            with torch.no_grad():
                norm.weight.normal_()
        elif change == "replaced":
            norm.weight = torch.nn.Parameter(torch.randn(64))
        with torch.inference_mode():
            expected = torch.rms_norm(x, (64,), None, norm.eps) * (1.0 + norm.weight)
            assert torch.equal(norm(x), expected)
