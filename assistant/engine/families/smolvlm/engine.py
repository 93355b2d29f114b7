"""SmolVLM2 through transformers' own classes: its budget of image tokens is its image splitting."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from transformers import Idefics3Processor, ProcessorMixin, SmolVLMProcessor

from assistant.engine.families.chat import ChatEngine


class SmolVLMEngine(ChatEngine):
    processor_classes: ClassVar[dict[str, type[ProcessorMixin]]] = {
        "SmolVLMForConditionalGeneration": SmolVLMProcessor,
        "Idefics3ForConditionalGeneration": Idefics3Processor,
    }

    @classmethod
    def apply_budget(cls, processor: ProcessorMixin, image_tokens: int) -> None:
        """A picture is a global tile and, when split, up to k×k tiles of the image processor's tile size,
        each the processor's `image_seq_len` tokens. The default (0) and any budget under three tiles read
        it whole, as one tile: the fastest, and what the speed targets are measured with."""
        images: Any = getattr(processor, "image_processor")  # noqa: B009 - a processor's part, untyped
        per_tile = int(getattr(processor, "image_seq_len"))  # noqa: B009
        tile = int(images.max_image_size["longest_edge"])
        side = math.isqrt(max(0, image_tokens // per_tile - 1))  # tiles a side, besides the global one
        images.do_image_splitting = side >= 2
        images.size = {"longest_edge": tile * max(1, side)}
