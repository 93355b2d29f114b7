"""Qwen3.5's feed-forward with its gate and up projections as one int8 product, on a processor.

Both read the layer's input, so one product (`int8.fuse_int8`) gives the same numbers as the two,
quantizes the input once and pays the int8 call's fixed cost once: at one token a step that is 24
fewer calls a token. `tests/engine/families/test_qwen3_5_fused.py` checks it against the two layers.
"""

from __future__ import annotations

import torch
from transformers.models.qwen3_5.modeling_qwen3_5 import Qwen3_5MLP

from assistant.engine.int8 import fuse_int8_layers_

GATE_UP = "gate_up_proj"


class FusedMLP(Qwen3_5MLP):
    """`Qwen3_5MLP` whose gate and up come from the fused layer `gate_up_proj`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fused: torch.nn.Module = getattr(self, GATE_UP)
        gate, up = fused(x).split(self.intermediate_size, dim=-1)
        return self.down_proj(self.act_fn(gate) * up)


def use_fused_mlp(model: torch.nn.Module) -> None:
    """Fuse the gate and up of every int8 feed-forward of `model` on the processor (in place; again
    after a reload)."""
    for module in model.modules():
        if type(module) is Qwen3_5MLP and fuse_int8_layers_(module, ("gate_proj", "up_proj"), GATE_UP):
            module.__class__ = FusedMLP
