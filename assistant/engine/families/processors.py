"""A checkpoint's own processor class, loaded with its image processor and tokenizer only.

`AutoProcessor` for Qwen3.5, SmolVLM2 and Gemma 4 also builds a video processor, which imports
torchvision (transformers#48558), and a PyTorch build without its matching torchvision cannot import
that. The app never sends videos, so the processor is made of the parts it uses: the class's own
`__call__`, chat template and token bookkeeping, with the video part left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import ProcessorMixin

_IMAGE_ONLY: dict[type[ProcessorMixin], type[ProcessorMixin]] = {}


def image_only(processor_class: type[ProcessorMixin]) -> type[ProcessorMixin]:
    """`processor_class` whose parts are its image processor and tokenizer (the parts a processor has are
    the parameters its `__init__` names, so this one names only those)."""

    def __init__(
        self: Any,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: Any = None,
        **kwargs: Any,
    ) -> None:
        processor_class.__init__(self, image_processor, tokenizer, chat_template=chat_template, **kwargs)

    if processor_class not in _IMAGE_ONLY:  # one class each, so a loaded processor's type stays the same
        _IMAGE_ONLY[processor_class] = type(
            processor_class.__name__, (processor_class,), {"__init__": __init__}
        )
    return _IMAGE_ONLY[processor_class]


def load_processor(folder: Path, processor_class: type[ProcessorMixin], **options: Any) -> ProcessorMixin:
    """The checkpoint's processor (image processor, tokenizer, chat template), `options` given to its
    image processor (such as an image-token budget)."""
    processor: ProcessorMixin = image_only(processor_class).from_pretrained(folder, **options)
    return processor
