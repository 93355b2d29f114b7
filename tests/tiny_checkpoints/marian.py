"""A tiny random Marian translation checkpoint saved like a published opus-mt one: MarianMTModel and a
complete MarianTokenizer (source.spm and target.spm trained with `sentencepiece`, vocab.json).

It loads through the same `from_pretrained` path as a downloaded opus-mt model; its words are random. The
builder is the translation benchmark's, which builds it full-size (assistant/bench/translation.py).
"""

from __future__ import annotations

from pathlib import Path

from assistant.bench.translation import build_marian


def build(folder: Path) -> Path:
    """A few-kilobyte random Marian checkpoint in `folder`."""
    return build_marian(folder, full_size=False)
