"""Qwen3.5 (0.8B, 2B; Apache-2.0, many languages): a hybrid of gated delta-net and attention layers
whose vision encoder reads a picture in 32×32-pixel tokens. The engine is in `.engine`."""

from __future__ import annotations

from assistant.engine.families import Family

FAMILY = Family(
    name="Qwen3.5",
    architectures=("Qwen3_5ForConditionalGeneration",),
    engine="assistant.engine.families.qwen3_5.engine:Qwen3_5Engine",
    # The language model and its head; the vision encoder's 2 % of the work stays in float.
    int8_roots=("model.language_model", "lm_head"),
    languages=("*",),  # asked in the user's language, it answers in it
)
