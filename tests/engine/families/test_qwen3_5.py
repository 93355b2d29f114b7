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
