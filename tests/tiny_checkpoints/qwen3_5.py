"""A tiny random Qwen3.5 saved like a published checkpoint: its real model class (a hybrid of gated
delta-net and full attention layers), and a complete processor (a tokenizer trained here with
`tokenizers`, a chat template that thinks unless told not to, as Qwen3.5's does, and Qwen's image
processor). It goes through `from_pretrained` as a downloaded one does; its words are random.
"""

from __future__ import annotations

from pathlib import Path

from assistant.bench.family_builders import QWEN_TEMPLATE as CHAT_TEMPLATE
from assistant.bench.synthetic_families import TINY, save_tiny_family

__all__ = ["CHAT_TEMPLATE", "MERGE_SIZE", "PATCH_SIZE", "build_tiny_qwen3_5"]
PATCH_SIZE = TINY["qwen3_5"]["vision"]["patch_size"]
MERGE_SIZE = TINY["qwen3_5"]["vision"]["spatial_merge_size"]


def build_tiny_qwen3_5(folder: str | Path, seed: int = 0, max_pixels: int = 64 * 64) -> Path:
    """Save a tiny random Qwen3.5 with its processor to `folder` and return it.

    Its image processor reads a picture as 8×8 patches merged 2×2, at most `max_pixels` pixels; the
    processor's `AutoProcessor` also names a video processor, which needs torchvision."""
    shape = TINY["qwen3_5"]
    shape = {**shape, "images": {"size": {**shape["images"]["size"], "longest_edge": max_pixels}}}
    return save_tiny_family(shape, folder, seed)
