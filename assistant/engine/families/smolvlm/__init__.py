"""SmolVLM2 (256M, 500M, 2.2B; Apache-2.0, English): the fastest family; a picture is one or more 512-pixel
tiles, each a fixed number of image tokens. SmolVLM's first generation (Idefics3's classes) runs the same
way. The engine is in `.engine`."""

from __future__ import annotations

from assistant.engine.families import Family

FAMILY = Family(
    name="SmolVLM2",
    architectures=("SmolVLMForConditionalGeneration", "Idefics3ForConditionalGeneration"),
    engine="assistant.engine.families.smolvlm.engine:SmolVLMEngine",
    # The connector too: one 12288×960 layer over the 64 image tokens, 15 ms in float32 and 6 in int8 (one
    # thread); its image tokens stay at cosine 0.9999 of float's on the full-size shape.
    int8_roots=("model.vision_model", "model.connector", "model.text_model", "lm_head"),
    languages=("en",),  # English only: its answers are translated (assistant.engine.translate)
)
