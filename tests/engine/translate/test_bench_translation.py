"""`assistant bench --suite translation` measures on a tiny checkpoint as it does on the full-size one."""

from __future__ import annotations

from pathlib import Path

from assistant.bench import translation


def test_the_translation_suite_measures_the_first_sentence_and_a_lazy_start(marian_dir: Path) -> None:
    figures = translation.measure(marian_dir, repeat=1)
    assert figures["translator_loaded_at_start"] is False
    assert figures["first_sentence_translated_s"] >= 0 and figures["first_sentence_english_s"] >= 0
    # The at-cap run's steps are the cap's; the real length's, the Spanish sentence's words and its end.
    assert figures["decode_steps_at_cap"] == 32 and "added_first_answer_s" in figures
    assert figures["decode_steps_real_length"] == len(translation.FIRST_ES.split()) + 1 == 19
    names = [name for name, *_rest in translation.targets(figures, bench=None)]  # type: ignore[arg-type]
    assert names == [
        "[translation] added_s",
        "[translation] added_real_length_s",
        "[translation] switch_language_s",
        "[translation] translator_loaded_at_start",
    ]
    met = {name: ok for name, _value, _limit, ok, _meaning in translation.targets(figures, None)}  # type: ignore[arg-type]
    assert met["[translation] translator_loaded_at_start"]
