"""Choosing a language costs nothing at start: the translation models on disk load on a background
thread right after, the first answer waits for that load instead of loading again but not for the load
of a model it does not need, a model still to download is left for the first answer, and a translation
runs PyTorch on one thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from assistant.engine import marian
from assistant.engine import models as model_files
from assistant.engine.families import blip2
from assistant.engine.translate import TranslatingEngine, Translator, answer_in
from tests.engine.translate.test_translate import FIRST, SECOND, GatedEnglishEngine

HANG_GUARD = 60  # seconds; only against a hang, never a measurement


def spanish(models: tuple[str, str]) -> TranslatingEngine:
    engine = answer_in(GatedEnglishEngine(), blip2.FAMILY, "es", models=models)
    assert isinstance(engine, TranslatingEngine)
    return engine


def test_the_models_on_disk_load_in_the_background_not_on_the_thread_that_chose_the_language(
    marian_dir: Path,
) -> None:
    engine = spanish((str(marian_dir), str(marian_dir)))
    assert engine.warming is not None
    engine.warming.join(HANG_GUARD)
    assert engine.to_user.loaded and engine.to_english.loaded
    here = threading.current_thread().name
    assert engine.to_user.loaded_on == engine.to_english.loaded_on == "translation warm-up" != here
    # The first answer uses what the warm-up loaded.
    assert engine.describe(Image.new("RGB", (8, 8))) == one_at_a_time(marian_dir)
    assert engine.to_user.loaded_on == "translation warm-up"


def test_the_first_answer_waits_for_a_warm_up_under_way_instead_of_loading_again(
    marian_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loading, release = threading.Event(), threading.Event()
    loads: list[str] = []
    real_load = Translator._load

    def gated_load(self: Translator) -> tuple[Any, Any]:
        loads.append(threading.current_thread().name)
        if threading.current_thread().name == "translation warm-up":
            loading.set()
            assert release.wait(HANG_GUARD)
        return real_load(self)

    monkeypatch.setattr(Translator, "_load", gated_load)
    engine = spanish((str(marian_dir), str(marian_dir)))
    assert loading.wait(HANG_GUARD)
    answers: list[str] = []
    answering = threading.Thread(target=lambda: answers.append(engine.describe(Image.new("RGB", (8, 8)))))
    answering.start()
    release.set()
    answering.join(HANG_GUARD)
    assert engine.warming is not None
    engine.warming.join(HANG_GUARD)
    assert answers and answers[0]
    assert loads == ["translation warm-up", "translation warm-up"]  # each model once, both there


def test_a_model_still_to_download_is_not_fetched_by_the_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    fetched: list[str] = []
    monkeypatch.setattr(model_files, "cached_path", lambda model: None)
    monkeypatch.setattr(model_files, "download", lambda model, **_kwargs: fetched.append(model))
    engine = spanish(("Helsinki-NLP/opus-mt-en-es", "Helsinki-NLP/opus-mt-es-en"))
    assert engine.warming is not None
    engine.warming.join(HANG_GUARD)
    assert fetched == [] and not engine.to_user.loaded and not engine.to_english.loaded


def test_a_damaged_model_found_by_the_warm_up_is_said_once_at_the_first_answer(tmp_path: Path) -> None:
    damaged = tmp_path / "opus-mt-damaged"
    damaged.mkdir()
    (damaged / "config.json").write_text("{ not json", "utf-8")
    engine = spanish((str(damaged), str(damaged)))
    assert engine.warming is not None
    engine.warming.join(HANG_GUARD)
    assert not engine.to_user.loaded
    heard: list[str] = []
    engine.on_notice = heard.append
    image = Image.new("RGB", (8, 8))
    assert engine.describe(image) == FIRST + " " + SECOND
    assert engine.describe(image) == FIRST + " " + SECOND
    assert len(heard) == 1 and "English" in heard[0] and "opus-mt-damaged" in heard[0]


def test_a_sentence_is_translated_on_one_thread_and_the_threads_are_given_back(
    marian_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    translator = Translator(str(marian_dir))
    translator.load()
    during: list[int] = []
    choose = marian.choose  # each decode step's token is chosen there (one sentence: the app's own loop)

    def counted(*args: Any) -> int:
        during.append(torch.get_num_threads())
        return choose(*args)

    monkeypatch.setattr(marian, "choose", counted)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert translator.translate([FIRST])[0]
        assert during and set(during) == {1} and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def one_at_a_time(marian_dir: Path) -> str:
    """The answer translated as a description's is, a sentence at a time (in a batch, a sentence's int8
    products share their range with the other's, so its words may differ)."""
    reference = Translator(str(marian_dir))
    return " ".join(reference.translate([FIRST]) + reference.translate([SECOND]))


def hold_load(translator: Translator) -> tuple[threading.Event, threading.Event]:
    """Hold `translator`'s model load open: the first event is set when it starts, and it goes on once
    the second is set."""
    loading, release = threading.Event(), threading.Event()
    real_load = translator._load

    def held_load() -> tuple[Any, Any]:
        loading.set()
        assert release.wait(HANG_GUARD)
        return real_load()

    translator._load = held_load  # type: ignore[method-assign]
    return loading, release


def test_a_description_during_the_warm_up_does_not_wait_for_the_question_model_it_does_not_need(
    marian_dir: Path,
) -> None:
    engine = answer_in(GatedEnglishEngine(), blip2.FAMILY, "es", models=(str(marian_dir), str(marian_dir)))
    assert isinstance(engine, TranslatingEngine)
    loading, release = hold_load(engine.to_english)
    engine.warm_up()  # the answers' model, then the questions' (held open)
    try:
        assert loading.wait(HANG_GUARD)
        answers: list[str] = []
        describing = threading.Thread(
            target=lambda: answers.append(engine.describe(Image.new("RGB", (8, 8)))), daemon=True
        )
        describing.start()
        describing.join(HANG_GUARD)
        # Answered, translated, while the question model's load is still under way.
        assert answers == [one_at_a_time(marian_dir)]
        assert not release.is_set() and not engine.to_english.loaded
    finally:
        release.set()
    assert engine.warming is not None
    engine.warming.join(HANG_GUARD)
    assert engine.to_english.loaded_on == "translation warm-up"


def test_a_description_during_the_answer_models_warm_up_starts_the_english_model_at_once(
    marian_dir: Path,
) -> None:
    inner = GatedEnglishEngine()
    engine = answer_in(inner, blip2.FAMILY, "es", models=(str(marian_dir), str(marian_dir)), warm_up=False)
    assert isinstance(engine, TranslatingEngine)
    loading, release = hold_load(engine.to_user)
    model_ended = threading.Event()
    real_describe = inner.describe
    inner.describe = lambda *args, **kwargs: (  # type: ignore[method-assign]
        real_describe(*args, **kwargs),
        model_ended.set(),
    )[0]
    engine.warm_up()
    answers: list[str] = []
    try:
        assert loading.wait(HANG_GUARD)
        describing = threading.Thread(
            target=lambda: answers.append(engine.describe(Image.new("RGB", (8, 8)))), daemon=True
        )
        describing.start()
        # The English model ran to its end while the translation model was still loading.
        assert model_ended.wait(HANG_GUARD) and not engine.to_user.loaded
    finally:
        release.set()
    describing.join(HANG_GUARD)
    assert answers == [one_at_a_time(marian_dir)]
    assert engine.to_user.loaded_on == "translation warm-up"  # loaded once, by the warm-up


def test_a_loaded_model_has_translated_a_sentence_before_the_first_answer(marian_dir: Path) -> None:
    translator = Translator(str(marian_dir))
    translator.load()  # in the app, on the warm-up's thread
    _tokenizer, model = translator._loaded or (None, None)
    # The first sentence's one-time work (the loop's joined weights, PyTorch's int8 kernels) is done.
    assert model in marian._PLANS
