"""A checkpoint's own processor class, loaded with its image processor and tokenizer only.

`AutoProcessor` for Qwen3.5, SmolVLM2 and Gemma 4 also builds a video processor, which imports
torchvision (transformers#48558), and a PyTorch build without its matching torchvision cannot import
that. The app never sends videos, so the processor is made of the parts it uses: the class's own
`__call__`, chat template and token bookkeeping, with no video processor (None in its place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import ProcessorMixin

_IMAGE_ONLY: dict[type[ProcessorMixin], type[ProcessorMixin]] = {}
_VIDEO = "video_processor"


class _NoVideo:
    """Stands for the video processor while the others load (a None there would load one)."""


_NO_VIDEO = _NoVideo()


def image_only(processor_class: type[ProcessorMixin]) -> type[ProcessorMixin]:
    """`processor_class`, loading and accepting no video processor: None is its video processor."""
    if processor_class in _IMAGE_ONLY:  # one class each, so a loaded processor's type stays the same
        return _IMAGE_ONLY[processor_class]

    def resolve(cls: Any, /, path: Any, processor_dict: dict[str, Any], **kwargs: Any) -> Any:
        if _VIDEO in cls.get_attributes():
            kwargs[_VIDEO] = _NO_VIDEO  # taken as already loaded
        return processor_class._resolve_subprocessors.__func__(cls, path, processor_dict, **kwargs)  # type: ignore[attr-defined]

    def check(self: Any, argument_name: str, argument: Any) -> Any:
        if argument_name == _VIDEO and (argument is None or argument is _NO_VIDEO):
            return None
        return processor_class.check_argument_for_proper_class(self, argument_name, argument)

    def set_attribute(self: Any, name: str, value: Any) -> None:
        object.__setattr__(self, name, None if value is _NO_VIDEO else value)

    members = {
        "_resolve_subprocessors": classmethod(resolve),
        "check_argument_for_proper_class": check,
        "__setattr__": set_attribute,
    }
    _IMAGE_ONLY[processor_class] = type(processor_class.__name__, (processor_class,), members)
    return _IMAGE_ONLY[processor_class]


def load_processor(folder: Path, processor_class: type[ProcessorMixin]) -> ProcessorMixin:
    """The checkpoint's processor: its image processor, tokenizer and chat template."""
    processor: ProcessorMixin = image_only(processor_class).from_pretrained(folder)
    return processor
