"""Pieces of streaming generation that every family's engine shares: stopping on Stop, passing the
cleaned text on as it settles, and cutting a kept key/value cache back to a shared prefix."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import torch
from transformers import StoppingCriteria, TextStreamer
from transformers.cache_utils import Cache

from assistant.engine.base import TextCallback
from assistant.engine.text import clean_output, settled


def crop_cache(cache: Cache, length: int) -> None:
    """Cut a language-model cache back to its first `length` positions."""
    extra = cache.get_seq_length() - length
    if extra > 0:
        cache.crop(-extra)


def shared_length(ids: torch.Tensor, held: torch.Tensor) -> int:
    """How many tokens `ids` open with that `held` opens with too, short of the last of `ids` (the model
    must read one token at least to say the next)."""
    length = min(held.shape[0], ids.shape[0] - 1)
    differs = (ids[:length] != held[:length]).nonzero()
    return int(differs[0, 0]) if differs.numel() else length


class StopWhenCancelled(StoppingCriteria):
    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return torch.full(
            (input_ids.shape[0],), self.cancel.is_set(), dtype=torch.bool, device=input_ids.device
        )


class CleanTextStreamer(TextStreamer):
    """Passes the cleaned text so far to a callback each time whole words arrive.

    Only text that later words cannot change is passed on, so each call extends the one before.
    """

    def __init__(
        self,
        tokenizer: Any,
        prompt: str,
        on_text: TextCallback,
        before_cleaning: Callable[[str], str] = str,
        cancel: threading.Event | None = None,
    ) -> None:
        """`before_cleaning` turns the raw text so far into what may be spoken (a family's thinking is
        held back there); once `cancel` is set nothing more is passed on (generation may add a token
        before it stops)."""
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.prompt, self.on_text, self.raw, self.sent = prompt, on_text, "", ""
        self.before_cleaning, self.cancel = before_cleaning, cancel

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        self.raw += text
        if stream_end or (self.cancel is not None and self.cancel.is_set()):
            return  # the caller sends the final text; after Stop, nothing
        stable = settled(clean_output(self.before_cleaning(self.raw), self.prompt, final=False))
        if len(stable) > len(self.sent) and stable.startswith(self.sent):
            self.sent = stable
            self.on_text(stable)
