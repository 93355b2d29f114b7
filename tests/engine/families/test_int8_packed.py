"""The int8 product in oneDNN's packed layout (`int8_packed`, `int8.Packing`) gives exactly the numbers of
`torch._int_mm`, so a processor where packing is faster describes with the same words; the packing is
the engine's idle work, a layer a step, not the start's; and a packed weight's pages of the prepared
file go back to the system, never those of anonymous memory."""

from __future__ import annotations

import copy

import psutil
import pytest
import torch
from PIL import Image

from assistant.bench.memory_floor import recording_weights
from assistant.engine import int8_packed, load_engine, quantized
from assistant.engine.int8 import Int8Linear, Packing, quantize_linear, scaled_product
from assistant.engine.int8_packed import PackedInt8, give_back_pages

try:
    PackedInt8(torch.ones(4, 4, dtype=torch.int8))
except (RuntimeError, AttributeError, NotImplementedError) as missing:  # a PyTorch built without oneDNN
    pytestmark = pytest.mark.skip(reason=f"no oneDNN int8 product in this PyTorch: {missing}")


@pytest.fixture
def packing_pays(monkeypatch) -> None:
    """A processor where the packed product pays (the trial's own answer is this machine's)."""
    monkeypatch.setattr("assistant.engine.int8.packing_pays", lambda: True)


def pack_all(model: torch.nn.Module) -> int:
    """Every step of `model`'s packing; the steps taken."""
    packing, steps = Packing(model), 1
    while packing.step():
        steps += 1
    return steps


def _layer(rows: int, width: int, seed: int, bias: bool = False) -> Int8Linear:
    torch.manual_seed(seed)
    return Int8Linear.from_parts(quantize_linear(torch.nn.Linear(width, rows, bias=bias)))


@pytest.mark.parametrize("rows", [1, 7])
@pytest.mark.parametrize("shape", [(96, 64), (40000, 24)])  # the second is wider than one mixed pass
def test_the_packed_product_gives_the_numbers_of_int_mm(rows, shape) -> None:
    out, width = shape
    weight = torch.randint(
        -128, 128, (out, width), dtype=torch.int8, generator=torch.Generator().manual_seed(1)
    )
    x = torch.randn(rows, width) * 5
    x[0, 0] = 0.0
    plain = scaled_product(x.clone(), weight.t())
    packed = scaled_product(x.clone(), weight.t(), PackedInt8(weight))
    assert float(plain.abs().max()) > 0
    assert torch.equal(plain, packed)


def test_a_packed_layer_gives_its_outputs_exactly_with_and_without_a_bias(packing_pays) -> None:
    for bias in (False, True):
        layer = _layer(48, 32, 3, bias)
        x = torch.randn(2, 5, 32, dtype=torch.bfloat16)
        before = layer(x)
        assert not Packing(layer).step()  # one layer: nothing left after it
        assert layer.packed is not None
        assert torch.equal(layer(x), before)


def test_a_deep_copy_packs_its_own_weight_again(packing_pays) -> None:
    layer = _layer(16, 8, 4)
    pack_all(layer)
    copied = copy.deepcopy(layer)
    assert copied.packed is not None and copied.packed is not layer.packed
    assert copied.packed.source is copied.weight
    x = torch.randn(3, 8)
    assert torch.equal(copied(x), layer(x))


def test_one_layer_is_packed_a_step_the_largest_first(packing_pays) -> None:
    model = torch.nn.Sequential(_layer(8, 32, 0), _layer(64, 32, 1), _layer(32, 32, 2))
    packing = Packing(model)
    assert not any(layer.packed for layer in model)  # nothing until the first step
    assert packing.step()
    assert [layer.packed is not None for layer in model] == [False, True, False]
    assert packing.step()
    assert [layer.packed is not None for layer in model] == [False, True, True]
    assert not packing.step()
    assert all(layer.packed is not None for layer in model)
    assert not packing.step()  # done stays done


def test_a_layer_that_is_rows_of_a_fused_one_is_not_packed_again(packing_pays) -> None:
    fused = _layer(40, 16, 5)
    part = Int8Linear(fused.weight[8:24], fused.scales[8:24], None)
    model = torch.nn.ModuleList([fused, part])
    assert pack_all(model) == 1
    assert fused.packed is not None and part.packed is None


def test_a_processor_where_packing_does_not_pay_packs_nothing(monkeypatch) -> None:
    monkeypatch.setattr("assistant.engine.int8.packing_pays", lambda: False)
    layer = _layer(16, 8, 6)
    assert not Packing(layer).step() and layer.packed is None


def test_the_trial_answers_for_this_processor() -> None:
    assert int8_packed.packing_pays() in (True, False)


def _picture() -> Image.Image:
    pixels = torch.randint(
        0, 256, (96, 128, 3), generator=torch.Generator().manual_seed(2), dtype=torch.uint8
    )
    return Image.fromarray(pixels.numpy())


def _greedy(engine, picture: Image.Image) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = engine.inputs([engine.conversation("Describe this picture.")], [picture])
    with torch.inference_mode():
        output = engine.model.generate(
            **inputs,
            do_sample=False,
            max_new_tokens=8,
            min_new_tokens=8,
            output_logits=True,
            return_dict_in_generate=True,
        )
    return output.sequences, torch.stack(output.logits)


def test_a_packed_engine_decodes_exactly_as_the_plain_one(tiny_qwen_dir, tmp_path, monkeypatch) -> None:
    """The tiny Qwen3.5 in int8, loaded from its prepared file twice: once where packing never pays,
    once where it always does. The start packs nothing; the idle work (`prepare_more`) packs. Same
    tokens, same logits to the last bit; the packed one's products went through its packed weights, the
    picture's rows and the one-token steps alike."""
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path))
    load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)  # prepares the file
    monkeypatch.setattr("assistant.engine.int8.packing_pays", lambda: False)
    plain = load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)
    assert not plain.prepare_more()
    monkeypatch.setattr("assistant.engine.int8.packing_pays", lambda: True)
    packed = load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)
    layers = [m for m in packed.model.modules() if type(m) is Int8Linear]
    assert not any(layer.packed for layer in layers)  # the start does not wait for it
    _greedy(packed, _picture())  # a request before the idle work: the one-token steps gather their plans
    steps = 0
    while packed.prepare_more():
        steps += 1
    assert not any(m.packed for m in plain.model.modules() if type(m) is Int8Linear)
    assert sum(layer.packed is not None for layer in layers) == steps + 1 > 10
    calls = []
    one_row: set[int] = set()
    own = PackedInt8.sums

    def noted(self: PackedInt8, rows: torch.Tensor) -> torch.Tensor:
        calls.append(rows.shape[0])
        if rows.shape[0] == 1:
            one_row.add(id(self))
        return own(self, rows)

    monkeypatch.setattr(PackedInt8, "sums", noted)
    tokens, logits = _greedy(packed, _picture())
    assert 1 in calls and max(calls) > 1  # the picture's rows and the one-token steps
    # Every layer of the language model and its head multiplied packed at one row, the gathered steps'
    # plans made before the packing included.
    language = [
        m for name, m in packed.model.named_modules() if type(m) is Int8Linear and "visual" not in name
    ]
    assert {id(m.packed) for m in language if m.packed is not None} <= one_row
    plain_tokens, plain_logits = _greedy(plain, _picture())
    assert torch.equal(tokens, plain_tokens)
    assert float(logits.abs().max()) > 0
    assert torch.equal(logits, plain_logits)


def test_the_memory_floor_records_the_weights_a_packed_product_reads(packing_pays) -> None:
    layer = _layer(24, 16, 7)
    pack_all(layer)
    with recording_weights() as weights:
        layer(torch.randn(1, 16))
    assert len(weights) == 1 and weights[0] is layer.weight


def test_a_mapped_weights_pages_go_back_and_read_the_same(tmp_path) -> None:
    size = 64 * 1024 * 1024
    path = tmp_path / "weights"
    data = torch.randint(-128, 128, (size,), dtype=torch.int8, generator=torch.Generator().manual_seed(8))
    path.write_bytes(data.numpy().tobytes())
    mapped = torch.UntypedStorage.from_file(str(path), False, size)
    weight = torch.empty(0, dtype=torch.int8).set_(mapped, 0, (size,), (1,))
    assert int(weight.to(torch.int32).sum()) == int(data.to(torch.int32).sum())  # every page read in
    process = psutil.Process()
    before = process.memory_info().rss
    assert give_back_pages(weight)
    assert before - process.memory_info().rss > size // 2
    assert torch.equal(weight, data)  # read again from the file


def test_anonymous_memory_is_never_given_back() -> None:
    """Its pages would come back as zeros: an int8 model just quantized at a first start lies there."""
    weight = torch.randint(
        -128, 128, (4 * 1024 * 1024,), dtype=torch.int8, generator=torch.Generator().manual_seed(9)
    )
    kept = weight.clone()
    assert not give_back_pages(weight)
    assert torch.equal(weight, kept)


def test_a_translated_engine_does_the_idle_work_of_the_engine_it_wraps(tiny_engine) -> None:
    from assistant.engine.translate import TranslatingEngine

    class Steps:
        left = 2

        def step(self) -> bool:
            self.left -= 1
            return self.left > 0

    wrapped = TranslatingEngine(tiny_engine, "es", None, None)  # type: ignore[arg-type]
    tiny_engine.idle_work = Steps()
    try:
        assert wrapped.prepare_more() and not wrapped.prepare_more()
    finally:
        del tiny_engine.idle_work
