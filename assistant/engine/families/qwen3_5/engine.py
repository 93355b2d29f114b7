"""Qwen3.5 through transformers' own classes: its budget of image tokens, its thinking kept silent, and
the rope offsets it keeps for a picture's tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from transformers import ProcessorMixin, Qwen3VLProcessor

from assistant.engine.families.chat import ChatEngine
from assistant.engine.families.qwen3_5.deltanet import use_fast_decoding
from assistant.engine.families.qwen3_5.mlp import use_fused_mlp
from assistant.engine.families.qwen3_5.norms import use_fused_norms
from assistant.engine.families.qwen3_5.step import use_decoding_layers
from assistant.engine.families.qwen3_5.vision import use_matmul_patch_embed

# A 1920×1080 screen read at about 580×330: its layout, windows and large text. Small text is lost at
# any budget a processor meets the speed targets with (at 256 it was 4 px high too), and the OCR text
# goes in a question's prompt; 256 made the first sentence a fifth slower (issue 22's 3 s target).
DEFAULT_IMAGE_TOKENS = 192
MIN_IMAGE_TOKENS = 4
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def strip_thinking(raw: str) -> str:
    """The answer without the model's thinking; nothing while it is still thinking. Qwen3.5 may think
    first (its chat template opens a <think> unless told not to), and the thinking is never spoken; a
    stray tag inside an answer is dropped."""
    if THINK_CLOSE in raw:
        raw = raw.split(THINK_CLOSE, 1)[1]
    elif raw.lstrip().startswith(THINK_OPEN):
        return ""
    return raw.replace(THINK_OPEN, " ").replace(THINK_CLOSE, " ")


class Qwen3_5Engine(ChatEngine):
    processor_classes: ClassVar[dict[str, type[ProcessorMixin]]] = {
        "Qwen3_5ForConditionalGeneration": Qwen3VLProcessor
    }
    template_options: ClassVar[dict[str, Any]] = {"enable_thinking": False}

    def lay_out(self) -> None:
        """Where transformers' path is slow on a processor, the same arithmetic in a faster form
        (`deltanet.py`, `mlp.py`, `norms.py`, `step.py`, `vision.py`); on a graphics card, transformers' own."""
        use_fast_decoding(self.model)
        use_fused_mlp(self.model)
        use_fused_norms(self.model)
        use_decoding_layers(self.model)  # after the three above, whose classes its step checks
        use_matmul_patch_embed(self.model)

    @classmethod
    def apply_budget(cls, processor: ProcessorMixin, image_tokens: int) -> None:
        """Qwen's `max_pixels`: one token is a merge of patch×patch squares, both read from the image
        processor."""
        images: Any = getattr(processor, "image_processor")  # noqa: B009 - a processor's part, untyped
        side = int(images.patch_size) * int(images.merge_size)
        tokens = max(MIN_IMAGE_TOKENS, image_tokens or DEFAULT_IMAGE_TOKENS)
        images.size = {"shortest_edge": MIN_IMAGE_TOKENS * side * side, "longest_edge": tokens * side * side}

    def before_cleaning(self, raw: str, prompt_tail: str) -> str:
        # A generation prompt that opens a <think> makes the answer's first words thinking.
        opened = prompt_tail.rfind(THINK_OPEN) > prompt_tail.rfind(THINK_CLOSE)
        return strip_thinking((THINK_OPEN if opened else "") + raw)

    def kept_state(self) -> dict[str, Any]:
        # The offsets of the positions after the image tokens, which the model computes when it reads them.
        return {"rope_deltas": getattr(self.model, "model").rope_deltas}  # noqa: B009

    def restore_state(self, state: dict[str, Any]) -> None:
        getattr(self.model, "model").rope_deltas = state["rope_deltas"]  # noqa: B009
