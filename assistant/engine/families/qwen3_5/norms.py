"""Qwen3.5's RMS norms as PyTorch's one fused `rms_norm`, on a processor.

transformers computes each norm in six to eight small operations (cast, square, mean, add, reciprocal
root, multiplies); at one token a step, a token passes 79 of them (two a layer, the query's and key's
in the attention layers and the last) and 18 gated ones in the delta-net layers, each then costing
more in calls than in arithmetic. `torch.rms_norm` is x·rsqrt(mean(x²) + eps)·w in one call, the same
formula; for float32 inputs (int8 and fp32 on a processor) its results equal transformers' in
`tests/engine/families/test_qwen3_5_fused.py`. Other dtypes keep transformers' code, whose casts
between steps a fused call would not repeat.
"""

from __future__ import annotations

import torch
from torch.nn import functional
from transformers.models.qwen3_5.modeling_qwen3_5 import Qwen3_5RMSNorm, Qwen3_5RMSNormGated

from assistant.engine.families.qwen3_5.kept import kept


class FusedRMSNorm(Qwen3_5RMSNorm):
    """`Qwen3_5RMSNorm` (its weight is an offset from 1) through `torch.rms_norm`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.float32 or self.weight.dtype != torch.float32:
            return super().forward(x)  # type: ignore[no-untyped-call]  # transformers' is untyped
        # The kept 1 + weight as the call's weight: the same numbers as multiplying after it (the
        # call's last step is that multiply), one call instead of three (15 against 32 us a norm).
        return torch.rms_norm(x, self.weight.shape, self.scale(), self.eps)

    def scale(self) -> torch.Tensor:
        """`1 + weight`, made again only when the weight is replaced or changed in place."""
        return kept(self, "_scale", (self.weight,), lambda: 1.0 + self.weight)


def gated_rms_norm(norm: Qwen3_5RMSNormGated, x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    """What `norm(x, gate)` computes (the norm, its weight, then silu of the gate), in three calls."""
    if x.dtype != torch.float32 or norm.weight.dtype != torch.float32 or norm.activation != "silu":
        return norm(x, gate)
    normed = torch.rms_norm(x, norm.weight.shape, norm.weight, norm.variance_epsilon)
    return normed * functional.silu(gate.to(torch.float32))


def use_fused_norms(model: torch.nn.Module) -> None:
    """Give every RMS norm of `model` on the processor the fused call (in place; again after a reload)."""
    for module in model.modules():
        if type(module) is Qwen3_5RMSNorm and module.weight.device.type == "cpu":
            module.__class__ = FusedRMSNorm
