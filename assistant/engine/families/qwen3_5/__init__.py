"""Qwen3.5 (0.8B, 2B; Apache-2.0, many languages): a hybrid of gated delta-net and attention layers
whose vision encoder reads a picture in 32×32-pixel tokens. The engine is in `.engine`."""

from __future__ import annotations

from assistant.engine.families import Family

FAMILY = Family(
    name="Qwen3.5",
    architectures=("Qwen3_5ForConditionalGeneration",),
    engine="assistant.engine.families.qwen3_5.engine:Qwen3_5Engine",
    # The vision encoder too: at the default budget it is four tenths of a picture's first reading,
    # which int8 makes about half as long (its patch embedder is a convolution, left in float).
    int8_roots=("model.visual", "model.language_model", "lm_head"),
    languages=("*",),  # asked in the user's language, it answers in it
)
