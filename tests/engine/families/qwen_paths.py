"""What the Qwen3.5 path tests share: a seeded random picture, a module class swapped in place (ours or
transformers'), and greedy tokens with their logits and cache, as the engine generates them."""

from __future__ import annotations

import copy
from typing import Any

import torch
from PIL import Image


def picture(seed: int, size: tuple[int, int] = (96, 128)) -> Image.Image:
    pixels = torch.randint(
        0, 256, (*size, 3), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8
    )
    return Image.fromarray(pixels.numpy())


def set_class(model: torch.nn.Module, base: type, module_class: type) -> int:
    """Every module of `model` that is a `base` made a `module_class`; how many there are."""
    modules = [m for m in model.modules() if isinstance(m, base)]
    for module in modules:
        module.__class__ = module_class
    return len(modules)


def generate(engine: Any, inputs: dict[str, Any], steps: int = 8, image_key: str | None = None) -> Any:
    """`steps` greedy tokens, their logits and the cache after them; with `image_key`, from the
    picture's kept prefix (read with the classes in place now), as the engine generates."""
    if image_key is not None:
        engine.clear_feature_cache()
        prefix = engine._prefix_for(image_key, inputs)
        engine.restore_state(prefix.state)
        inputs = {name: value for name, value in inputs.items() if not name.startswith(("pixel_", "image_"))}
        inputs["cache"] = copy.deepcopy(prefix.cache)
    with torch.inference_mode():
        output = engine.model.generate(
            **inputs,
            do_sample=False,
            max_new_tokens=steps,
            min_new_tokens=steps,
            output_logits=True,
            return_dict_in_generate=True,
        )
    return output.sequences, torch.stack(output.logits), output.cache
