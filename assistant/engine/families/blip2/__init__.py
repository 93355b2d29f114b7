"""BLIP-2 (Salesforce): a caption model whose Q-Former gives the language model 32 image tokens.

Its prompts ("Question: … Answer:") and the fitting of the text on the image live in
`assistant.engine.prompts`; its output cleaning in `assistant.engine.text`; the engine in `.engine`.
A 32-token image needs no budget of image tokens.
"""

from __future__ import annotations

from assistant.engine.families import Family

FAMILY = Family(
    name="BLIP-2",
    architectures=("Blip2ForConditionalGeneration",),
    engine="assistant.engine.families.blip2.engine:Blip2Engine",
    int8_roots=("vision_model", "language_model"),
    languages=("en",),  # English only: its answers are translated (assistant.engine.translate)
)
