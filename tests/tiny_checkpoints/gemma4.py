"""A tiny random Gemma 4 saved like a published checkpoint: its real model class (sliding and full
attention layers, per-layer inputs), and a complete processor (a tokenizer trained here with
`tokenizers`, a Gemma-style chat template that writes the <bos> itself, Gemma 4's image processor and
audio feature extractor). It goes through `from_pretrained` as a downloaded one does; its words are random.
"""

from __future__ import annotations

from pathlib import Path

from assistant.bench.family_builders import GEMMA_TEMPLATE as CHAT_TEMPLATE
from assistant.bench.synthetic_families import TINY, save_tiny_family

__all__ = ["CHAT_TEMPLATE", "PATCH_SIZE", "POOLING", "build_tiny_gemma4"]
PATCH_SIZE = TINY["gemma4"]["vision"]["patch_size"]
POOLING = TINY["gemma4"]["vision"]["pooling_kernel_size"]


def build_tiny_gemma4(folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny random Gemma 4 with its processor to `folder` and return it.

    Its image processor reads a picture as 4×4 patches pooled 3×3, at most 70 soft tokens (Gemma 4's
    smallest budget); `AutoProcessor` also names a video processor, which needs torchvision."""
    return save_tiny_family(TINY["gemma4"], folder, seed)
