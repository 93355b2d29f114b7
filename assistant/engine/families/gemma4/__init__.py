"""Gemma 4 (E2B; Apache-2.0, many languages): a picture is a budget of soft tokens (70 to 1120). The
engine is in `.engine`."""

from __future__ import annotations

from assistant.engine.families import Family

FAMILY = Family(
    name="Gemma 4",
    architectures=("Gemma4ForConditionalGeneration",),
    engine="assistant.engine.families.gemma4.engine:Gemma4Engine",
    # int8 over the whole model breaks its vision patch embedder: the language model and head only.
    int8_roots=("model.language_model", "lm_head"),
    languages=("*",),  # asked in the user's language, it answers in it
)
