"""Tiny random checkpoints of the real architectures, each with a complete processor built on the spot."""

from __future__ import annotations

from pathlib import Path
from typing import Any


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
