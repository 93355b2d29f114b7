"""Tiny random checkpoints of the real architectures, each with a complete processor built on the spot."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _corpus(assistant_role: str) -> list[str]:
    """A few lines of the words the app's prompts and answers use, so the tokenizer has them."""
    return f"""
a photo of a cat sitting on a couch next to a window. a dog running on the grass in a park.
a screenshot of a web page with a search box. a computer screen showing an email program.
a red car parked on the street. the text says welcome to the meeting. a chart with blue bars.
what colour is the car? how many people are in the picture? what does the text say?
a white dialog window with an ok button and a cancel button. user {assistant_role} describe this picture.
""".strip().splitlines()


def train_byte_level_bpe(special_tokens: list[str], assistant_role: str = "assistant") -> Any:
    """A byte-level BPE tokenizer of 400 tokens trained here, as the chat families' published ones are
    byte-level BPE; the caller wraps it in `PreTrainedTokenizerFast` with its family's special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_corpus(assistant_role), trainer=trainer)
    return tokenizer


def save_processor(processor: Any, folder: Path) -> None:
    """Save a processor that has no video processor (see assistant.engine.families.processors) as its
    class saves its other parts: its tokenizer, image processor, chat template and settings."""
    original = type(processor)
    parts = [name for name in original.get_attributes() if name != "video_processor"]
    saving = type(original.__name__, (original,), {"get_attributes": classmethod(lambda cls: list(parts))})
    processor.__class__ = saving
    try:
        processor.save_pretrained(folder)
    finally:
        processor.__class__ = original
