"""An int8 layer's weights as a gathered one-token step reads them (`delta_layer.py`, `attention_layer.py`):
looked up once per layer instead of at every call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional

from assistant.engine.int8 import Int8Linear, scaled_product


@dataclass(frozen=True)
class Product:
    """An int8 layer's weights as its one-row product reads them."""

    weight_t: torch.Tensor  # in x out, the int8 weight transposed in place
    scales: torch.Tensor
    layer: Int8Linear  # read at each call for its packed weight, which the idle work may add later

    def __call__(self, rows: torch.Tensor) -> torch.Tensor:
        """`Int8Linear.forward` at float32 rows, for a layer without a bias."""
        return scaled_product(rows, self.weight_t, self.layer.packed).mul_(self.scales)


def product_of(layer: Any) -> Product | None:
    """`layer`'s product where it is an `Int8Linear` without a bias; None elsewhere."""
    ok = (
        type(layer) is Int8Linear
        and layer.bias is None
        and layer.weight.dtype == torch.int8
        and layer.scales.dtype == torch.float32
    )
    return Product(layer.weight.t(), layer.scales, layer) if ok else None


def feed_forward(
    rows: torch.Tensor,
    post_scale: torch.Tensor,
    post_eps: float,
    gate_up: Product,
    intermediate: int,
    down: Product,
) -> torch.Tensor:
    """A decoder layer's second half at one row: the residual `rows` plus the feed-forward of their norm
    (`step.DecodingDecoderLayer._step`'s own operations)."""
    normed = torch.rms_norm(rows, (rows.shape[1],), post_scale, post_eps)
    gate, up = gate_up(normed).split(intermediate, dim=-1)
    return rows + down(functional.silu(gate) * up)
