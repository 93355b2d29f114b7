"""SmolVLM2's vision encoder with its hidden states laid out row by row.

transformers' patch embedding flattens the convolution's channels-first output and transposes it, a
view whose patches lie 1,024 floats apart. Every later operation keeps that layout: each of the 25
layer norms copies its input into rows first, each int8 layer's input is copied to be quantised, and
the 24 residual additions write across the grain. One copy into rows at the start (3 MB for a
512-pixel tile) leaves every value as it was and spares those copies. Its figures and test:
docs/model-families.md (SmolVLM2) and `tests/engine/families/test_smolvlm_vision.py`.
"""

from __future__ import annotations

import torch
from transformers.models.idefics3.modeling_idefics3 import Idefics3VisionEmbeddings
from transformers.models.smolvlm.modeling_smolvlm import SmolVLMVisionEmbeddings


class RowMajorVisionEmbeddings(SmolVLMVisionEmbeddings):
    """transformers' patch embedding, its output copied into rows."""

    def forward(self, pixel_values: torch.Tensor, patch_attention_mask: torch.BoolTensor) -> torch.Tensor:
        return super().forward(pixel_values, patch_attention_mask).contiguous()


class RowMajorIdefics3VisionEmbeddings(Idefics3VisionEmbeddings):
    """SmolVLM's first generation's, the same way."""

    def forward(self, pixel_values: torch.Tensor, patch_attention_mask: torch.BoolTensor) -> torch.Tensor:
        return super().forward(pixel_values, patch_attention_mask).contiguous()


_ROW_MAJOR: dict[type[torch.nn.Module], type[torch.nn.Module]] = {
    SmolVLMVisionEmbeddings: RowMajorVisionEmbeddings,
    Idefics3VisionEmbeddings: RowMajorIdefics3VisionEmbeddings,
}


def use_row_major_patches(model: torch.nn.Module) -> int:
    """Give `model`'s patch embedding the row layout (in place; again after a reload). The number of
    modules changed."""
    changed = 0
    for module in model.modules():
        row_major = _ROW_MAJOR.get(type(module))
        if row_major is not None:
            module.__class__ = row_major
            changed += 1
    return changed
