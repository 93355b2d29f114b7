"""Long text through the translation model, third round (docs/hostile-input.md): every word of a run-on
answer, a pasted question or a saved turn reaches the model, in pieces it reads whole, a batch at a time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.engine.base import Cancelled
from assistant.engine.translator import BATCH, PIECE_WORDS, Translator, pieces

# Words the tiny model's tokenizer knows.
VOCABULARY = ["the", "text", "says", "welcome", "to", "a", "cat", "on", "couch"]


def words(count: int, comma_every: int = 0) -> str:
    chosen = [VOCABULARY[i % len(VOCABULARY)] for i in range(count)]
    if comma_every:
        chosen = [w + "," if i % comma_every == comma_every - 1 else w for i, w in enumerate(chosen)]
    return " ".join(chosen)


def test_a_long_sentence_is_cut_into_pieces_at_commas_where_it_can_be() -> None:
    text = words(100, comma_every=30) + "."
    found = pieces(text)
    assert " ".join(found) == text  # nothing lost, nothing added
    assert all(len(piece.split()) <= PIECE_WORDS for piece in found)
    assert len(found[0].split()) == 30  # cut at the comma before the 40th word, not at the 40th word


def test_short_texts_are_translated_whole_as_before() -> None:
    assert pieces("A cat sits on a couch. It sleeps.") == ["A cat sits on a couch. It sleeps."]
    assert pieces("   ") == []


def test_every_word_of_a_text_longer_than_the_model_reads_reaches_the_model(marian_dir: Path) -> None:
    # 600 words with no sentence end: before, it was one input cut at the model's 512 tokens (and its
    # translation at 128 tokens); now every piece is read whole.
    translator = Translator(str(marian_dir))
    translator.load()
    assert translator._loaded is not None
    tokenizer, model = translator._loaded
    read: list[Any] = []
    hook = model.get_encoder().register_forward_pre_hook(
        lambda _module, args, kwargs: read.extend(kwargs["input_ids"].tolist()), with_kwargs=True
    )
    try:
        text = words(600)
        [translated] = translator.translate([text])
    finally:
        hook.remove()
    assert translated
    wanted = tokenizer(text, truncation=False)["input_ids"]
    assert len(wanted) > tokenizer.model_max_length  # the test's text is longer than the model reads
    special = {tokenizer.pad_token_id, tokenizer.eos_token_id}
    assert sum(1 for row in read for token in row if token not in special) >= len(wanted) - 1


def test_stop_is_heard_between_batches_of_a_long_text(marian_dir: Path) -> None:
    translator = Translator(str(marian_dir))
    translator.load()
    assert translator._loaded is not None
    _tokenizer, model = translator._loaded
    cancel = threading.Event()
    hook = model.get_encoder().register_forward_pre_hook(lambda *_: cancel.set())
    try:
        with pytest.raises(Cancelled):
            translator.translate([words(PIECE_WORDS * (BATCH + 1))], cancel)
    finally:
        hook.remove()
