"""The prepared int8 model in the cache folder: written once, rebuilt from it, never trusted when damaged."""

from __future__ import annotations

import itertools
import os
import shutil
import warnings

import pytest
import torch
from PIL import Image

from assistant.engine import int8 as int8_layers
from assistant.engine import load_engine, prompts, quantized
from assistant.engine.loading import from_pretrained_options
from assistant.engine.quantized import CacheEntry, DamagedCache, saved_models
from assistant.engine.runtime import Runtime


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of the test's own."""
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "quantized"


@pytest.fixture
def checkpoint(tiny_model_dir, tmp_path):
    """A copy of the tiny checkpoint that a test may change."""
    return shutil.copytree(tiny_model_dir, tmp_path / "checkpoint")


class Counts:
    """How often the float checkpoint was loaded and a layer quantized."""

    def __init__(self, monkeypatch):
        from transformers import Blip2ForConditionalGeneration

        self.from_pretrained = self.quantize_linear = 0
        real_from_pretrained = Blip2ForConditionalGeneration.from_pretrained.__func__
        real_quantize = int8_layers.quantize_linear

        def from_pretrained(cls, *args, **kwargs):
            self.from_pretrained += 1
            return real_from_pretrained(cls, *args, **kwargs)

        def quantize_linear(layer, *args):
            self.quantize_linear += 1
            return real_quantize(layer, *args)

        monkeypatch.setattr(Blip2ForConditionalGeneration, "from_pretrained", classmethod(from_pretrained))
        monkeypatch.setattr(int8_layers, "quantize_linear", quantize_linear)

    def reset(self) -> None:
        self.from_pretrained = self.quantize_linear = 0


@pytest.fixture
def counts(monkeypatch):
    return Counts(monkeypatch)


def picture() -> Image.Image:
    return Image.linear_gradient("L").resize((40, 30)).convert("RGB")


def output_ids(engine) -> list[int]:
    features = engine.encode_images(engine.pixel_values([picture()]))
    ids = engine.generate_ids(features, engine.prompt_inputs(prompts.description_prompt("brief"), 1), 20)
    return ids[0].tolist()


def int8(folder):
    return load_engine(str(folder), device="cpu", precision="int8", progress=False)


def test_first_load_writes_the_cache_and_the_second_builds_no_float_layers(checkpoint, cache, counts) -> None:
    heard: list[str] = []
    first = load_engine(str(checkpoint), device="cpu", precision="int8", on_progress=heard.append)
    assert counts.from_pretrained == 1 and counts.quantize_linear > 10
    assert heard.count(quantized.PREPARING) == 1
    assert heard[-1] == "Preparing the model for this computer: 100%"
    [saved] = saved_models()
    assert saved.path.parent == cache and saved.precision == "int8" and saved.source == str(checkpoint)
    assert saved.size == saved.path.stat().st_size > 0
    first_ids = output_ids(first)

    counts.reset()
    heard.clear()
    second = load_engine(str(checkpoint), device="cpu", precision="int8", on_progress=heard.append)
    assert (counts.from_pretrained, counts.quantize_linear) == (0, 0)
    assert quantized.PREPARING not in heard
    assert output_ids(second) == first_ids
    assert second.describe(picture()) == first.describe(picture())
    # No float linear layer was made: every one is int8, its weights and the float rest mapped from the file.
    modules = list(second.model.vision_model.modules()) + list(second.model.language_model.modules())
    assert not [m for m in modules if type(m) is torch.nn.Linear]
    layers = [m for m in modules if isinstance(m, quantized.Int8Linear)]
    assert len(layers) == sum(isinstance(m, quantized.Int8Linear) for m in first.model.modules()) > 10
    # The int8 weights are views of one storage the size of the file: its mapping, not copies.
    storage = layers[0].weight.untyped_storage()
    assert storage.nbytes() == saved.size
    assert all(layer.weight.untyped_storage().data_ptr() == storage.data_ptr() for layer in layers)
    # The token table stays 16-bit (only looked up); the norms, which the processor computes with, float32.
    language = second.model.language_model
    assert language.get_input_embeddings().weight.dtype == torch.bfloat16
    assert language.model.decoder.final_layer_norm.weight.dtype == torch.float32
    assert [s.path for s in saved_models()] == [saved.path]


def test_the_quantized_weights_are_pytorchs_own(tiny_model_dir) -> None:
    """Our quantizer gives exactly what torch.ao's per-channel dynamic quantization gives."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear
    from torch.ao.quantization import per_channel_dynamic_qconfig
    from transformers import Blip2ForConditionalGeneration

    model = Blip2ForConditionalGeneration.from_pretrained(tiny_model_dir, dtype=torch.bfloat16)
    names = int8_layers.linear_layer_names(model)
    assert len(names) > 10
    for name in names:
        layer = model.get_submodule(name).float()
        layer.qconfig = per_channel_dynamic_qconfig
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = DynamicInt8Linear.from_float(layer).weight()
        parts = int8_layers.quantize_linear(layer)
        assert torch.equal(parts.weight, reference.int_repr()), name
        scratch = torch.full((layer.weight.numel() + 7,), float("nan"))
        assert torch.equal(int8_layers.quantize_linear(layer, scratch).weight, parts.weight), name
        assert torch.equal(parts.scales, reference.q_per_channel_scales()), name
        assert torch.equal(parts.zero_points, reference.q_per_channel_zero_points()), name
        rebuilt = quantized.Int8Linear.from_parts(parts)
        x = torch.randn(3, 5, layer.in_features)
        expected = layer(x)
        error = (rebuilt(x) - expected).norm()
        assert rebuilt(x).shape == expected.shape, name
        assert error <= 0.02 * expected.norm() + 1e-4, (name, error, expected.norm())


def test_a_changed_checkpoint_file_is_quantized_afresh_and_the_old_one_removed(
    checkpoint, cache, counts
) -> None:
    int8(checkpoint)
    [old] = saved_models()
    weights = next(checkpoint.glob("*.safetensors"))
    data = weights.read_bytes()
    weights.write_bytes(data)  # the same name and size, written again: a new modification time
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    counts.reset()
    int8(checkpoint)
    assert counts.from_pretrained == 1 and counts.quantize_linear > 10
    [new] = saved_models()
    assert new.path != old.path and not old.path.exists()


def test_a_changed_precision_or_torch_version_makes_another_entry(
    checkpoint, cache, counts, monkeypatch
) -> None:
    entry = CacheEntry.for_checkpoint(checkpoint, "int8")
    assert CacheEntry.for_checkpoint(checkpoint, "int4").key != entry.key
    int8(checkpoint)
    # A file made for another precision, even under this entry's name, is not taken for this one.
    other = CacheEntry.for_checkpoint(checkpoint, "int4")
    with pytest.raises(DamagedCache, match="another"):
        quantized.verify(entry.path, other.key)
    monkeypatch.setattr(torch, "__version__", "99.0.0")
    counts.reset()
    int8(checkpoint)
    assert counts.quantize_linear > 10
    [new] = saved_models()
    assert new.path != entry.path and not entry.path.exists()


@pytest.mark.parametrize("damage", ["truncated", "a flipped byte", "not safetensors"])
def test_a_damaged_cache_file_is_removed_and_rebuilt_never_loaded(checkpoint, cache, counts, damage) -> None:
    first_ids = output_ids(int8(checkpoint))
    [saved] = saved_models()
    data = bytearray(saved.path.read_bytes())
    if damage == "truncated":  # the app killed while writing, on a system that kept the partial file
        data = data[: len(data) // 2]
    elif damage == "a flipped byte":
        _, _, start = quantized.read_header(saved.path)
        data[start + 3] ^= 0xFF
    else:
        data = bytearray(b"\x80\x03}q\x00.")  # a pickle
    saved.path.write_bytes(bytes(data))
    counts.reset()
    engine = int8(checkpoint)
    assert counts.from_pretrained == 1 and counts.quantize_linear > 10
    assert output_ids(engine) == first_ids
    quantized.verify(saved.path, CacheEntry.for_checkpoint(checkpoint, "int8").key)  # sound again


def test_a_write_interrupted_before_its_rename_is_never_loaded_and_is_cleared(
    checkpoint, cache, counts
) -> None:
    entry = CacheEntry.for_checkpoint(checkpoint, "int8")
    cache.mkdir(parents=True)
    leftover = cache / f".{entry.path.name}.12345.tmp"
    leftover.write_bytes(b"half a model")
    int8(checkpoint)
    assert counts.quantize_linear > 10
    assert not leftover.exists() and entry.path.exists()


def test_an_unwritable_cache_still_gives_a_model_and_says_why(checkpoint, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(blocker))
    engine = int8(checkpoint)
    assert engine.runtime.precision == "int8"
    assert len(engine.notices) == 1 and "could not be saved" in engine.notices[0]
    assert engine.describe(picture())


def test_models_lists_the_prepared_model_and_clean_removes_it(checkpoint, cache, capsys) -> None:
    from assistant.cli import main

    int8(checkpoint)
    [saved] = saved_models()
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert str(checkpoint) in out and "int8" in out and "MB" in out and str(saved.path) in out
    assert main(["models", "clean"]) == 0
    assert "Removed" in capsys.readouterr().out
    assert saved_models() == [] and not saved.path.exists()


# ---- how from_pretrained is asked to load -----------------------------------------------------------------


def test_16_bit_on_a_graphics_card_loads_straight_onto_it() -> None:
    options = from_pretrained_options(Runtime("cuda", "bf16", "fits"))
    assert options["device_map"] == {"": 0} and options["dtype"] == torch.bfloat16
    assert "quantization_config" not in options


def test_4_bit_on_a_graphics_card_loads_as_before() -> None:
    options = from_pretrained_options(Runtime("cuda", "int4", "small card"))
    assert options["device_map"] == {"": 0} and options["quantization_config"].load_in_4bit


def test_int8_on_the_processor_starts_from_the_checkpoints_own_16_bit_type() -> None:
    runtime = Runtime("cpu", "int8", "no graphics card")
    assert from_pretrained_options(runtime, torch.float16)["dtype"] == torch.float16
    assert from_pretrained_options(runtime, torch.float32)["dtype"] == torch.bfloat16
    assert "device_map" not in from_pretrained_options(runtime, torch.float16)


def test_describe_says_once_on_stderr_that_the_model_is_being_prepared(checkpoint, cache, capsys) -> None:
    from assistant.cli import main

    image = checkpoint.parent / "picture.png"
    picture().save(image)
    arguments = ["describe", str(image), "--model", str(checkpoint), "--device", "cpu", "--precision", "int8"]
    assert main(arguments) == 0
    first = capsys.readouterr()
    assert first.err.splitlines().count(quantized.PREPARING) == 1 and first.out.strip()
    assert main(arguments) == 0
    later = capsys.readouterr()
    assert quantized.PREPARING not in later.err and later.out == first.out


@pytest.mark.slow
def test_the_startup_benchmark_times_a_describe_process_and_its_memory(checkpoint, cache, tmp_path) -> None:
    from assistant.bench.startup import compare, time_describe

    image = tmp_path / "picture.png"
    picture().save(image)
    # --no-ocr: the process loads and prepares the model as without it, but not the text reader too.
    runtime = ["--device", "cpu", "--precision", "int8", "--no-ocr"]
    figures = time_describe(str(checkpoint), runtime, image, dict(os.environ))
    assert set(figures) == {"describe_s", "describe_peak_gb", "describe_resident_gb"}
    assert 0 < figures["describe_resident_gb"] <= figures["describe_peak_gb"]
    assert saved_models()  # the child process prepared it, in the same cache folder
    ratios = compare(
        {
            "int8": {"later_run_ready_s": 5.0, "later_run_peak_gb": 4.0, "later_run_resident_gb": 4.0},
            "bf16": {"any_run_ready_s": 20.0},
        }
    )
    assert ratios == {"later_over_bf16_run_ready": 0.25, "later_run_peak_over_resident": 1.0}


def test_a_flan_t5_model_is_rebuilt_from_the_cache_too(tiny_t5_model_dir, cache, counts) -> None:
    first = output_ids(int8(tiny_t5_model_dir))
    counts.reset()
    assert output_ids(int8(tiny_t5_model_dir)) == first
    assert (counts.from_pretrained, counts.quantize_linear) == (0, 0)


def test_an_outdated_file_that_cannot_be_removed_does_not_stop_the_start(
    checkpoint, cache, monkeypatch
) -> None:
    """As on Windows while another running app still maps the old file."""
    from pathlib import Path

    int8(checkpoint)
    [old] = saved_models()
    real_unlink = Path.unlink

    def unlink(path, missing_ok=False):
        if path == old.path:
            raise PermissionError(13, "The file is in use by another process")
        return real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(torch, "__version__", "99.0.0")  # a new entry is due; the old one stays
    engine = int8(checkpoint)
    assert engine.describe(picture())
    assert old.path.exists() and len(saved_models()) == 2


def _reference_product(layer: quantized.Int8Linear, x: torch.Tensor) -> torch.Tensor:
    """Int8Linear's arithmetic written out step by step, as it was before its calls were trimmed."""
    rows = x.reshape(-1, layer.in_features).to(torch.float32)
    step = torch.clamp(rows.abs().amax(dim=1, keepdim=True), min=int8_layers._TINY) / 127.0
    quantized_rows = torch.div(rows, step).round_().to(torch.int8)
    out = torch._int_mm(quantized_rows, layer.weight.t()).to(torch.float32).mul_(step)
    if layer.bias is None:
        out.mul_(layer.scales)
    else:
        torch.addcmul(layer.bias, out, layer.scales, out=out)
    return out.reshape(*x.shape[:-1], layer.out_features).to(x.dtype)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
# A layer's width, and one wider than a one-row output is scaled in one mixed pass (a head's).
@pytest.mark.parametrize("outputs", [40, int8_layers._MIXED_WIDEST + 1])
def test_the_int8_product_gives_the_step_by_step_arithmetic_exactly(bias, shape, dtype, outputs) -> None:
    torch.manual_seed(0)
    layer = quantized.Int8Linear.from_parts(
        int8_layers.quantize_linear(torch.nn.Linear(48, outputs, bias=bias))
    )
    x = (torch.randn(*shape, 48) * 4).to(dtype)
    x[..., 0, :] = 0  # a row of zeros: the smallest step
    out = layer(x)
    assert out.dtype == dtype and out.shape == (*shape, outputs)
    assert torch.equal(out, _reference_product(layer, x))


def test_the_prepared_file_holds_every_int8_weight_side_by_side_in_the_layers_order(
    checkpoint, cache
) -> None:
    """So that layers a family fuses are one view of the mapped file (int8.fuse_int8)."""
    int8(checkpoint)
    (entry,) = saved_models()
    header, _metadata, _start = quantized.read_header(entry.path)
    names = [f"{name}.weight_int8" for name in json_layers(entry.path)]
    offsets = [header[name]["data_offsets"] for name in names]
    assert offsets[0][0] == 0
    assert all(before[1] == after[0] for before, after in itertools.pairwise(offsets))
    engine = int8(checkpoint)  # a later start: two neighbouring layers of one width fuse into a view
    layers = [engine.model.get_submodule(name) for name in json_layers(entry.path)]
    first, second = next((a, b) for a, b in itertools.pairwise(layers) if a.in_features == b.in_features)
    fused = int8_layers.fuse_int8([first, second])
    assert fused.weight.data_ptr() == first.weight.data_ptr()
    assert fused.weight[first.out_features :].data_ptr() == second.weight.data_ptr()


def json_layers(path) -> list[str]:
    import json

    _header, metadata, _start = quantized.read_header(path)
    return [name for name, _bias in json.loads(metadata["quantized"])]
