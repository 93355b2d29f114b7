"""What only Qwen3.5 does: it may think first, and the thinking is never spoken."""

from __future__ import annotations

import torch
from PIL import Image

from assistant.engine import load_engine
from assistant.engine.families.qwen3_5.engine import strip_thinking


def test_thinking_is_never_spoken(tiny_qwen_dir) -> None:
    engine = load_engine(str(tiny_qwen_dir), device="cpu", precision="fp32", progress=False)
    engine.template_options = {"enable_thinking": True}  # the prompt opens a <think> the model never closes
    heard: list[str] = []
    pixels = torch.randint(
        0, 256, (80, 120, 3), generator=torch.Generator().manual_seed(7), dtype=torch.uint8
    )
    assert engine.describe(Image.fromarray(pixels.numpy()), on_text=heard.append) == "" and heard == []


def test_the_answer_after_the_thinking_is_kept() -> None:
    assert strip_thinking("<think>\nThe user wants</think>\n\nA red car.") == "\n\nA red car."
    assert strip_thinking("<think>\nThe user wants") == ""
    assert strip_thinking("A red car.") == "A red car."


def test_the_vision_encoder_runs_in_int8_and_sees_what_float_sees(
    tiny_qwen_dir, tiny_qwen_engine, tmp_path, monkeypatch
) -> None:
    """int8 on a processor covers the vision encoder (four tenths of reading a screen), and its view of a
    screen stays that of the float encoder."""
    from assistant.engine import quantized

    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    engine = load_engine(str(tiny_qwen_dir), device="cpu", precision="int8", progress=False)
    visual = engine.model.model.visual
    assert any(isinstance(module, quantized.Int8Linear) for module in visual.blocks.modules())
    assert not any(type(module) is torch.nn.Linear for module in visual.modules())
    pixels = torch.randint(
        0, 256, (540, 960, 3), generator=torch.Generator().manual_seed(3), dtype=torch.uint8
    )
    screen = Image.fromarray(pixels.numpy())
    features = []
    for each in (tiny_qwen_engine, engine):
        inputs = each.inputs([each.conversation("Describe.")], [screen])
        with torch.inference_mode():
            output = each.model.model.get_image_features(inputs["pixel_values"], inputs["image_grid_thw"])
        features.append(torch.cat(list(output.pooler_output)).flatten())
    float_features, int8_features = features
    assert torch.nn.functional.cosine_similarity(float_features, int8_features, dim=0) > 0.99
