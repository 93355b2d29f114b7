"""A checkpoint's own processor class, loaded with its image processor and tokenizer only.

`AutoProcessor` for Qwen3.5, SmolVLM2 and Gemma 4 also builds a video processor, which imports
torchvision (transformers#48558), and a PyTorch build without its matching torchvision cannot import
that. The app never sends videos, so the processor is made of the parts it uses: the class's own
`__call__`, chat template and token bookkeeping, with the video part left out.
"""

from __future__ import annotations

import inspect
import types
from pathlib import Path
from typing import Any

from transformers import ProcessorMixin

_IMAGE_ONLY: dict[type[ProcessorMixin], type[ProcessorMixin]] = {}
_VIDEO = "video_processor"


def image_only(processor_class: type[ProcessorMixin]) -> type[ProcessorMixin]:
    """`processor_class` whose parts are its image processor and tokenizer: the parts a processor loads
    are those `get_attributes` lists, and where its `__init__` requires a video processor, it gets None
    (its own function, given one more default: `from_pretrained` reads the function's parameter names)."""
    if processor_class in _IMAGE_ONLY:  # one class each, so a loaded processor's type stays the same
        return _IMAGE_ONLY[processor_class]
    parts = [name for name in processor_class.get_attributes() if name != _VIDEO]
    members: dict[str, Any] = {"get_attributes": classmethod(lambda cls: list(parts))}
    original = processor_class.__init__
    code = original.__code__
    positional = code.co_varnames[: code.co_argcount]
    defaults = original.__defaults__ or ()
    first_default = len(positional) - len(defaults)
    if _VIDEO in positional and positional.index(_VIDEO) < first_default:
        defaults = (None,) * (first_default - positional.index(_VIDEO)) + defaults
        init = types.FunctionType(
            code, original.__globals__, original.__name__, defaults, original.__closure__
        )
        init.__kwdefaults__ = original.__kwdefaults__
        members["__init__"] = init
    _IMAGE_ONLY[processor_class] = type(processor_class.__name__, (processor_class,), members)
    return _IMAGE_ONLY[processor_class]


def load_processor(folder: Path, processor_class: type[ProcessorMixin]) -> ProcessorMixin:
    """The checkpoint's processor: its image processor, tokenizer and chat template."""
    processor: ProcessorMixin = image_only(processor_class).from_pretrained(folder)
    return processor


def has_video_part(processor_class: type[ProcessorMixin]) -> bool:
    return _VIDEO in inspect.signature(processor_class.__init__).parameters
