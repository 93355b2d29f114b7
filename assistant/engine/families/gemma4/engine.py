"""Gemma 4 through transformers' own classes: its budget of image tokens is its soft-token count."""

from __future__ import annotations

from typing import Any, ClassVar

from transformers import Gemma4Processor, ProcessorMixin

from assistant.engine.families.chat import ChatEngine

DEFAULT_IMAGE_TOKENS = 280  # Gemma 4's own default: a screen's dialog text stays readable


class Gemma4Engine(ChatEngine):
    processor_classes: ClassVar[dict[str, type[ProcessorMixin]]] = {
        "Gemma4ForConditionalGeneration": Gemma4Processor
    }

    @classmethod
    def apply_budget(cls, processor: ProcessorMixin, image_tokens: int) -> None:
        """The largest soft-token count Gemma 4 supports within the budget (its smallest below that)."""
        from transformers.models.gemma4.image_processing_pil_gemma4 import _SUPPORTED_SOFT_TOKENS

        wanted = image_tokens or DEFAULT_IMAGE_TOKENS
        fitting = [count for count in _SUPPORTED_SOFT_TOKENS if count <= wanted]
        images: Any = getattr(processor, "image_processor")  # noqa: B009 - a processor's part, untyped
        images.max_soft_tokens = max(fitting) if fitting else min(_SUPPORTED_SOFT_TOKENS)
