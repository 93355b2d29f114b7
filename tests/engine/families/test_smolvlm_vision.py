"""SmolVLM2's vision encoder with its hidden states in rows (`families/smolvlm/vision.py`): every layer
reads rows, and the image features are exactly transformers' own, for both SmolVLM generations."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from transformers.models.idefics3.modeling_idefics3 import Idefics3VisionEmbeddings
from transformers.models.smolvlm.modeling_smolvlm import SmolVLMVisionEmbeddings

from assistant.engine import load_engine
from assistant.engine.families.smolvlm import vision


def picture() -> Image.Image:
    generator = torch.Generator().manual_seed(5)
    pixels = torch.randint(0, 256, (300, 400, 3), generator=generator, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


def image_features(engine) -> torch.Tensor:
    inputs = engine.inputs([engine.conversation("Describe.")], [engine.prepare_image(picture())])
    with torch.inference_mode():
        output = engine.model.model.get_image_features(inputs["pixel_values"], inputs["pixel_attention_mask"])
    return torch.cat(list(output.pooler_output))


@pytest.mark.parametrize("generation", [1, 2])
def test_the_vision_encoder_reads_rows_and_sees_what_transformers_sees(
    tiny_smolvlm2_dir, tmp_path, generation
) -> None:
    if generation == 2:
        folder = tiny_smolvlm2_dir
    else:
        from tiny_checkpoints.smolvlm import build_tiny_smolvlm

        folder = build_tiny_smolvlm(tmp_path / "gen1", generation=1)
    engine = load_engine(str(folder), device="cpu", precision="fp32", progress=False)
    embeddings = engine.model.model.vision_model.embeddings
    assert isinstance(embeddings, (vision.RowMajorVisionEmbeddings, vision.RowMajorIdefics3VisionEmbeddings))
    layouts: list[bool] = []
    for layer in engine.model.model.vision_model.encoder.layers:
        layer.register_forward_pre_hook(lambda _m, args: layouts.append(args[0].is_contiguous()))
    ours = image_features(engine)
    assert layouts and all(layouts)  # every layer's input in rows
    embeddings.__class__ = SmolVLMVisionEmbeddings if generation == 2 else Idefics3VisionEmbeddings
    layouts.clear()
    theirs = image_features(engine)
    assert not any(layouts)  # transformers' own layout, across the grain
    assert torch.equal(ours, theirs)
    assert vision.use_row_major_patches(engine.model) == 1
