"""The bench's memory floor: which int8 weights a decoding step reads, each byte counted once."""

from __future__ import annotations

import torch

from assistant.bench import memory_floor
from assistant.engine.int8 import Int8Linear, fuse_int8_layers_


def _layer(rows: int, columns: int = 8) -> Int8Linear:
    weight = torch.randint(-127, 127, (rows, columns), dtype=torch.int8)
    return Int8Linear(weight, torch.rand(rows) + 0.5, None)


def test_only_products_at_one_row_are_recorded_and_the_product_is_given_back() -> None:
    one, many = _layer(4), _layer(6)
    own = torch._int_mm
    direct = torch.randint(-127, 127, (5, 8), dtype=torch.int8)
    with memory_floor.recording_weights() as weights:
        one(torch.randn(1, 1, 8))
        many(torch.randn(1, 5, 8))  # a prompt's rows: not a decoding step
        # A family's own step multiplies without the layer (Qwen3.5's gathered delta-net step).
        torch._int_mm(torch.ones(1, 8, dtype=torch.int8), direct.t())
    assert [weight.data_ptr() for weight in weights] == [one.weight.data_ptr(), direct.data_ptr()]
    assert torch._int_mm is own


def test_a_fused_layer_and_its_parts_count_their_bytes_once() -> None:
    parent = torch.nn.Module()
    parent.a, parent.b = _layer(4), _layer(6)
    fuse_int8_layers_(parent, ("a", "b"), "ab")
    fused = parent.ab
    other = _layer(3)
    views = memory_floor.distinct_bytes(
        [fused.weight, parent.a.weight, parent.b.weight, other.weight, other.weight]
    )
    assert sorted(view.numel() for view in views) == [3 * 8, 10 * 8]
    assert any(torch.equal(view, fused.weight.flatten()) for view in views)


def test_the_floor_figures() -> None:
    views = [torch.zeros(1000, dtype=torch.int8)]
    figures = memory_floor.floor_figures(views, [0.5, 0.25, 1.0], tokens_per_s=1.0)
    assert figures["weights_read_gb"] == 1e-6
    assert figures["floor_tokens_per_s"] == 2.0  # the median reading, 0.5 s
    assert figures["of_floor"] == 0.5
    assert abs(figures["memory_gb_s"] - 2e-6) < 1e-15
