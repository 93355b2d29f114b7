"""The translator's own greedy loop over a Marian model's layers gives the tokens `generate` gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoTokenizer, MarianConfig, MarianMTModel

from assistant.bench.translation import _CORPUS
from assistant.engine import marian
from assistant.engine.translator import Translator, _int8

SENTENCES = _CORPUS.splitlines()


def _model(marian_dir: Path, int8: bool) -> Any:
    """A small random Marian whose tokens depend on its source (the tiny checkpoint's are always the
    same few), with what a published opus-mt has beside the bench's: swish, scaled embeddings."""
    config = MarianConfig.from_pretrained(marian_dir)
    config.update(
        {
            "d_model": 64,
            "encoder_layers": 2,
            "decoder_layers": 2,
            "encoder_attention_heads": 4,
            "decoder_attention_heads": 4,
            "encoder_ffn_dim": 128,
            "decoder_ffn_dim": 128,
            "init_std": 0.5,
            "activation_function": "swish",
            "scale_embedding": True,
        }
    )
    torch.manual_seed(0)
    model = MarianMTModel(config).eval()
    model.generation_config.update(bad_words_ids=[[2]], renormalize_logits=True)
    return _int8(model) if int8 else model


def _generated(model: Any, batch: Any, longest: int) -> torch.Tensor:
    return model.generate(**batch, max_new_tokens=longest, num_beams=1, do_sample=False)


@pytest.mark.parametrize("int8", [True, False], ids=["int8", "float32"])
def test_one_sentence_gives_the_tokens_generate_gives(marian_dir: Path, int8: bool) -> None:
    tokenizer, model = AutoTokenizer.from_pretrained(marian_dir), _model(marian_dir, int8)
    # int8: each layer's query, key and value in one joined product, and the source's keys and values
    # of all layers in one; float32: each layer.
    plan = marian._plan(model)
    assert [layer.query_key_value.packed is not None for layer in plan.layers] == [int8, int8]
    assert (plan.source_keys_values.packed is not None) == int8
    seen = set()
    with torch.inference_mode():
        for sentence in SENTENCES:
            batch = tokenizer([sentence], return_tensors="pt")
            assert marian.fits(model, batch)
            for longest in (4, 30):  # the end forced at the cap, and the model's own
                ids = marian.translate(model, batch, longest)
                assert ids.tolist() == _generated(model, batch, longest).tolist(), sentence
                seen.add(tuple(ids[0].tolist()))
    assert len(seen) > len(SENTENCES)  # the tokens depend on the source: the comparison can fail


def test_the_translator_translates_one_sentence_as_generate_would(marian_dir: Path) -> None:
    translator = Translator(str(marian_dir))
    translator.load()
    assert translator._loaded is not None
    tokenizer, model = translator._loaded
    sentence = SENTENCES[0]
    batch = tokenizer([sentence], return_tensors="pt")
    assert marian.fits(model, batch)
    with torch.inference_mode():
        expected = _generated(model, batch, translator.longest(batch["input_ids"].shape[1]))
    assert translator.translate([sentence]) == tokenizer.batch_decode(expected, skip_special_tokens=True)


def test_what_the_loop_does_not_cover_goes_through_generate(marian_dir: Path) -> None:
    tokenizer, model = AutoTokenizer.from_pretrained(marian_dir), _model(marian_dir, int8=True)
    one = tokenizer([SENTENCES[0]], return_tensors="pt")
    assert marian.fits(model, one)
    assert not marian.fits(model, tokenizer(SENTENCES[:2], return_tensors="pt", padding=True))
    model.generation_config.repetition_penalty = 1.2
    assert not marian.fits(model, one)
    model.generation_config.repetition_penalty = 1.0
    model.config._attn_implementation = "eager"
    assert not marian.fits(model, one)


def _near_tie() -> torch.Tensor:
    """Scores whose best (index 10) and second (index 3, one float32 step below) become equal in
    `log_softmax` over a large vocabulary: the tie then goes to the lower index."""
    torch.manual_seed(1)
    scores = torch.randn(1, 65001) * 0.1
    scores[0, 10] = 0.5
    scores[0, 3] = torch.nextafter(torch.tensor(0.5), torch.tensor(0.0))
    return scores


def _cases() -> list[torch.Tensor]:
    torch.manual_seed(0)
    cases = [torch.randn(1, 65001) * scale for scale in (0.01, 1.0, 100.0) for _seed in range(5)]
    tied = torch.randn(1, 1000)
    tied[0, 7] = tied[0, 700] = tied.max() + 1  # equal best scores: the first
    infinite = torch.randn(1, 1000)
    infinite[0, 7] = torch.inf
    not_a_number = torch.randn(1, 1000)
    not_a_number[0, 9] = torch.nan
    forced = torch.full((1, 1000), -torch.inf)
    forced[0, 0] = 0.0  # the forced end: every other token barred
    barred = torch.randn(1, 1000)
    barred[0, :500] = -torch.inf
    return [*cases, _near_tie(), tied, infinite, not_a_number, forced, barred]


@pytest.mark.parametrize("normalize", [True, False])
def test_the_chosen_token_is_the_renormalized_argmax(normalize: bool) -> None:
    cases = _cases()
    expected = [int(torch.argmax(s.log_softmax(dim=-1) if normalize else s, dim=-1)) for s in cases]
    assert [marian.choose(scores, normalize) for scores in cases] == expected
    if normalize:  # the near tie is one: renormalized, the lower index wins
        assert expected[len(cases) - 6] == 3 != int(torch.argmax(_near_tie(), dim=-1))


def test_the_int8_product_is_the_int8_layers_own() -> None:
    torch.manual_seed(0)
    layer = _int8(torch.nn.Sequential(torch.nn.Linear(64, 48)))[0]
    product = marian._int8_product()  # the dispatcher's entry, without the arguments' checks
    for rows in (1, 7):
        x = torch.randn(1, rows, 64)
        assert torch.equal(product(x, layer._packed_params._packed_params, True), layer(x))
