"""SmolVLM2 through transformers' own classes: its budget of image tokens is its image splitting, and its
processor's first resize of a screenshot is done here, once, on the PIL image."""

from __future__ import annotations

import copy
import math
import sys
import threading
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from PIL import Image
from transformers import Idefics3Processor, ProcessorMixin, SmolVLMProcessor

from assistant.engine.families.chat import ChatEngine, _Prefix
from assistant.engine.families.smolvlm.fused import use_fused_layers
from assistant.engine.families.smolvlm.vision import use_row_major_patches
from assistant.engine.generation import CleanTextStreamer, crop_cache

# The first resize shrinks a 1920×1080 screen 3.75 times; a box reduction by whole factors first, leaving
# at least 1.5 times for the processor's own filter (LANCZOS), takes a quarter of the time (38 ms to
# 10 ms, one thread). The picture keeps its size; it differs from the fair filter by a few levels of
# grey around edges (the tests bound it), which the 512-pixel tile cannot show apart.
REDUCING_GAP = 1.5


class SmolVLMEngine(ChatEngine):
    processor_classes: ClassVar[dict[str, type[ProcessorMixin]]] = {
        "SmolVLMForConditionalGeneration": SmolVLMProcessor,
        "Idefics3ForConditionalGeneration": Idefics3Processor,
    }

    def lay_out(self) -> None:
        """The same arithmetic in a faster form: int8 layers that read one input as one product on a
        processor (`fused.py`), and the vision encoder's hidden states in rows (`vision.py`)."""
        use_fused_layers(self.model)
        use_row_major_patches(self.model)

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

    def prepare_image(self, image: Image.Image) -> Image.Image:
        """The image processor's first resize (the longest edge to its `size`, by its own rule), done on
        the PIL image. The processor would turn a whole screenshot into an array and back around the
        same resize, and the kept work's key would hash all of its pixels (15 ms each on a 1920×1080
        screen, one thread); given the resized picture, its own resize finds nothing to do."""
        images: Any = getattr(self.processor, "image_processor")  # noqa: B009 - untyped
        size = _first_resize(images, image.size)
        if size is None or size == image.size or _first_resize(images, size) != size:
            return image  # no resize, a resize this cannot stand for, or one the processor would redo
        return image.resize(size, Image.Resampling(int(images.resample)), reducing_gap=REDUCING_GAP)

    def _prefix_for(self, key: str, inputs: dict[str, Any]) -> _Prefix:
        """On a picture's first request, one pass over the whole prompt, of which a copy cut back to
        the picture's last image token is kept: the weights are read once before the first token,
        not once for the picture, again for the words after it (0.17 s and 0.13 s on two threads for
        SmolVLM2-500M) and again for the prompt's last token (a whole step, ~50 ms). `generate` takes
        the first token's logits and the whole prompt's cache from this pass (`_answer_from`). Its
        cache is plain keys and values, so it can be cut back."""
        ids = inputs["input_ids"][0]
        seq = ids.shape[0]
        places = (ids == self.image_token_id).nonzero()
        length = int(places[-1, 0]) + 1 if places.numel() else 0
        kept = self._prefixes.get(key)
        if (
            length == 0
            or length >= seq
            or (kept is not None and torch.equal(ids[: kept.ids.shape[0]], kept.ids))
        ):
            return super()._prefix_for(key, inputs)
        with torch.inference_mode():
            read = self.model(**inputs, use_cache=True, logits_to_keep=1)
        cut = copy.deepcopy(read.cache)
        crop_cache(cut, length)
        prefix = self._keep(key, _Prefix(ids[:length].clone(), cut, self.kept_state()))
        self._answer_from(ids.clone(), read)
        return prefix

    def _answer_from(self, ids: torch.Tensor, read: Any) -> None:
        """Have the model's next `generate` of the prompt `ids` start from `read` (its output over the
        whole prompt: the first token's logits and the cache) instead of reading the prompt's rest
        itself. transformers' `generate` reads the prompt in its `_prefill`, which is answered once
        here; any other prompt goes to transformers' own. (Were `_prefill` renamed, `generate` would
        read the words after the kept image tokens itself: the same answer, one pass slower.)"""
        model = self.model
        own: Callable[..., Any] = getattr(model, "_prefill")  # noqa: B009 - GenerationMixin's, untyped

        def prefill(input_ids: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            model.__dict__.pop("_prefill", None)  # once
            if input_ids.shape == (1, ids.shape[0]) and torch.equal(input_ids[0], ids):
                return read
            return own(input_ids, *args, **kwargs)

        model.__dict__["_prefill"] = prefill

    def generate(
        self,
        inputs: dict[str, Any],
        max_new_tokens: int,
        streamer: CleanTextStreamer | None = None,
        cancel: threading.Event | None = None,
        image_key: str | None = None,
    ) -> torch.Tensor:
        try:
            return super().generate(inputs, max_new_tokens, streamer, cancel, image_key)
        finally:
            self.model.__dict__.pop("_prefill", None)  # not left for a later call, even after an error


def _first_resize(images: Any, size: tuple[int, int]) -> tuple[int, int] | None:
    """The (width, height) the image processor's first resize gives a picture of `size`; None where it
    resizes otherwise than PIL does here (a torchvision backend) or not at all."""
    rule = getattr(sys.modules[type(images).__module__], "get_resize_output_image_size", None)
    if rule is None or getattr(images, "backend", None) != "pil" or not images.do_resize:
        return None
    width, height = size
    shape = _Shape((3, height, width))
    new_height, new_width = rule(shape, resolution_max_side=int(images.size["longest_edge"]))
    return int(new_width), int(new_height)


class _Shape:
    """Stands for an image array where the processor's size rule reads only its shape."""

    def __init__(self, shape: tuple[int, int, int]) -> None:
        self.shape = shape
