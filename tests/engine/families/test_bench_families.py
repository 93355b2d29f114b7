"""`assistant bench --suite families`: its measurement on a tiny checkpoint, and its targets."""

from __future__ import annotations

import shutil

import pytest
from transformers.generation.utils import GenerationMixin

from assistant.bench import families
from assistant.engine import quantized


@pytest.mark.slow  # a first and a later start of each family: about 20 s each
def test_the_measurement_runs_a_family_through_load_engine(tiny_qwen_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    folder = shutil.copytree(tiny_qwen_dir, tmp_path / "checkpoint")
    processors: list[str] = []
    generations = []
    lengths: list[int] = []
    own = GenerationMixin._get_logits_processor

    def noted(self: object, *args: object, **kwargs: object) -> object:
        chosen = own(self, *args, **kwargs)  # type: ignore[arg-type]
        generations.append(chosen)
        lengths.append(kwargs.get("generation_config", args[0] if args else None).max_new_tokens)  # type: ignore[union-attr]
        processors.extend(type(step).__name__ for step in chosen)
        return chosen

    monkeypatch.setattr(GenerationMixin, "_get_logits_processor", noted)
    figures = families.measure(str(folder), repeat=2)
    # The bench's tokens cost what the app's do: no per-token mask over the vocabulary that the app never
    # sets (min_new_tokens did that: 248,320 words a token for Qwen3.5).
    assert generations and not any("MinNewTokens" in name for name in processors)
    # Tokens per second is a median like every other timing: each of the two repeats times the long run.
    assert lengths.count(families.TOKENS) == 2
    assert set(figures) == {
        *("first_start_s", "later_start_s", "loaded_gb", "first_sentence_s", "tokens_per_s"),
        *("weights_read_gb", "memory_gb_s", "floor_tokens_per_s", "of_floor", "idle_preparing_s"),
    }
    # The weights a decoding step reads were found, and their reading timed beside the tokens.
    assert figures["weights_read_gb"] > 0 and figures["of_floor"] > 0
    assert figures["first_sentence_s"] > 0 and figures["tokens_per_s"] > 0
    assert len(quantized.saved_models()) == 1  # the first start prepared it, the later one mapped it


def test_the_targets_of_each_family() -> None:
    blip2 = {"first_sentence_s": 2.0, "later_start_s": 3.0}
    qwen = {"first_sentence_s": 2.5, "later_start_s": 6.0, "tokens_per_s": 20.0, "loaded_gb": 1.2}
    figures = {"family": "qwen3.5-0.8b", families.BLIP2: blip2, "qwen3.5-0.8b": qwen}
    met = {name: ok for name, _, _, ok, _ in families.targets(figures, None)}
    assert met == {
        "qwen_first_sentence_s": True,
        "qwen_first_sentence_over_blip2": True,
        "qwen_tokens_per_s": True,
        "qwen_loaded_gb": True,
        "blip2-opt-2.7b_later_start_s": True,
        "qwen3.5-0.8b_later_start_s": False,
    }
    smol = {"first_sentence_s": 2.5, "later_start_s": 1.0}
    figures = {"family": "smolvlm2-500m", families.BLIP2: blip2, "smolvlm2-500m": smol}
    met = {name: ok for name, _, _, ok, _ in families.targets(figures, None)}
    assert not met["smolvlm_first_sentence_s"] and not met["smolvlm_first_sentence_over_blip2"]
