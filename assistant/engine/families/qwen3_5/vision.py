"""Qwen3.5's patch embedder as the matrix product it is, on a processor.

The embedder is a `Conv3d` whose kernel is its stride and the whole of each row it is given (two frames
of a 16×16 patch, three colours): one output per row, a linear map of the row's 1,536 values. oneDNN's
3-D convolution took 85 ms for a screen's 720 patches on one thread where the same product through
`addmm` takes 14 ms (a tenth of the vision encoder's time). The weights are the convolution's own, seen
flat; `tests/engine/families/test_qwen3_5_processor_paths.py` checks the image features against transformers'.
"""

from __future__ import annotations

import torch
from transformers.models.qwen3_5.modeling_qwen3_5 import Qwen3_5VisionPatchEmbed


class MatmulPatchEmbed(Qwen3_5VisionPatchEmbed):
    """`Qwen3_5VisionPatchEmbed` computed by one matrix product."""

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        weight = self.proj.weight.view(self.embed_dim, -1)  # out × (colours · frames · patch · patch)
        rows = hidden_states.reshape(-1, weight.shape[1]).to(weight.dtype)
        if self.proj.bias is None:
            return rows @ weight.t()
        return torch.addmm(self.proj.bias, rows, weight.t())


def use_matmul_patch_embed(model: torch.nn.Module) -> None:
    """Give `model`'s patch embedder on the processor the product above (in place; again after a
    reload)."""
    for module in model.modules():
        if type(module) is Qwen3_5VisionPatchEmbed and module.proj.weight.device.type == "cpu":
            module.__class__ = MatmulPatchEmbed
