"""A tiny random SmolVLM2 saved like a published checkpoint: its real model class, and a complete processor
(a tokenizer trained here with `tokenizers`, SmolVLM's chat template, its image processor).

It goes through `from_pretrained` and `transformers serve` exactly as a downloaded one does; its words
are random. The image is one tile (no splitting) of 32×32 pixels, read as 4 image tokens.
"""

from __future__ import annotations

from pathlib import Path

from assistant.bench.synthetic_families import TINY, save_tiny_family

_SHAPE = TINY["smolvlm"]
IMAGE_SIZE = _SHAPE["vision"]["image_size"]
PATCH_SIZE = _SHAPE["vision"]["patch_size"]
SCALE_FACTOR = _SHAPE["scale_factor"]
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH_SIZE) ** 2 // SCALE_FACTOR**2


def build_tiny_smolvlm(folder: str | Path, generation: int = 1, seed: int = 0) -> Path:
    """Save a tiny random SmolVLM with its processor to `folder` and return it.

    Generation 1 is the architecture SmolVLM-256M/500M-Instruct are published with (Idefics3's classes);
    its processor has no video part, so `transformers serve` loads it without torchvision. Generation 2
    is SmolVLM2's model class; its processor files are the same, named for `SmolVLMProcessor`, whose
    `AutoProcessor` also builds a video processor and so needs torchvision (transformers#48558): load its
    image processor and tokenizer on their own where torchvision is missing.
    """
    return save_tiny_family(_SHAPE, folder, seed, generation)
