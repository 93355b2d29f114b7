"""The choice made where the model is loaded: load_engine with a real (tiny) BLIP-2 checkpoint."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from assistant.engine import load_engine
from assistant.engine.families import blip2
from assistant.engine.translate import TranslatingEngine, Translator, answer_in, translate_texts


def test_spanish_wraps_an_english_only_model_and_loads_no_translation_model_at_start(
    tiny_model_dir: Path,
) -> None:
    engine = load_engine(str(tiny_model_dir), device="cpu", precision="fp32", language="es")
    assert isinstance(engine, TranslatingEngine)
    assert engine.to_user.model_name == "Helsinki-NLP/opus-mt-en-es"
    assert engine.to_english.model_name == "Helsinki-NLP/opus-mt-es-en"
    assert not engine.to_user.loaded and not engine.to_english.loaded  # nothing downloaded or loaded
    assert "translated into Spanish" in engine.summary


def test_translation_off_leaves_the_model_in_english_and_says_so(tiny_model_dir: Path) -> None:
    engine = load_engine(str(tiny_model_dir), device="cpu", precision="fp32", language="es", translate=False)
    assert not isinstance(engine, TranslatingEngine)
    assert any("answers in English" in notice for notice in engine.notices)


def test_a_real_english_only_model_is_translated(tiny_engine: object, marian_dir: Path) -> None:
    engine = answer_in(tiny_engine, blip2.FAMILY, "es", models=(str(marian_dir), str(marian_dir)))  # type: ignore[arg-type]
    image = Image.new("RGB", (32, 32), "red")
    english = tiny_engine.describe(image)  # type: ignore[attr-defined]
    heard: list[str] = []
    translated = engine.describe(image, on_text=heard.append)
    assert translated == translate_texts(Translator(str(marian_dir)), [english])[0]
    assert heard and heard[-1] == translated
