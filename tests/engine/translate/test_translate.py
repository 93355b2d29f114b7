"""Answers in the user's language: an English-only family's answers translated sentence by sentence
(tiny random Marian checkpoints built here), questions translated to English, a multilingual family asked
in the language, and the choice made in one place (answer_in)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from assistant.engine.base import Detail, Engine, TextCallback, Turn
from assistant.engine.families import blip2, qwen3_5, smolvlm
from assistant.engine.families.chat import ChatEngine
from assistant.engine.translate import (
    TranslatingEngine,
    Translator,
    answer_in,
    in_language,
    split_sentences,
)
from assistant.errors import for_app

HANG_GUARD = 60  # seconds; only against a hang, never a measurement
FIRST, SECOND = "A cat sits on a couch.", "The text says welcome to the meeting."


class GatedEnglishEngine(Engine):
    """An English-only family whose description stops after its first sentence until `spoken` is set."""

    def __init__(self) -> None:
        self.spoken = threading.Event()
        self.events: list[str] = []
        self.questions: list[tuple[str, list[Turn]]] = []
        self.text_on_image: Sequence[str] = ()

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        if on_text is not None:
            on_text(FIRST[:10])  # half a sentence: nothing to translate yet
            on_text(FIRST + " The")
            assert self.spoken.wait(HANG_GUARD), "the first sentence was not spoken while the model ran"
            on_text(FIRST + " " + SECOND)
        self.events.append("model ended")
        return FIRST + " " + SECOND

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
        *,
        text_on_image: Sequence[str] = (),
    ) -> str:
        self.questions.append((question, list(history)))
        self.text_on_image = text_on_image
        return FIRST

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        return [FIRST + " " + SECOND for _image in images]

    @property
    def summary(self) -> str:
        return "a fake English model"


class ChatLike(GatedEnglishEngine):
    """Stands for a ChatEngine: its prompt asks for `answer_language`."""

    answer_language = "en"


def translating(marian_dir: Path) -> tuple[GatedEnglishEngine, Engine, Translator]:
    inner = GatedEnglishEngine()
    engine = answer_in(inner, blip2.FAMILY, "es", models=(str(marian_dir), str(marian_dir)))
    assert isinstance(engine, TranslatingEngine)
    if engine.warming is not None:  # the warm-up ends before the test goes on (no load left behind)
        engine.warming.join(HANG_GUARD)
    reference = Translator(str(marian_dir))
    return inner, engine, reference


def test_a_description_reaches_speech_translated_sentence_by_sentence_first_before_the_model_ends(
    marian_dir: Path,
) -> None:
    inner, engine, reference = translating(marian_dir)
    spoken: list[str] = []

    def speak(text: str) -> None:
        spoken.append(text)
        inner.events.append("spoken")
        inner.spoken.set()

    result = engine.describe(Image.new("RGB", (8, 8)), on_text=speak)

    first, second = reference.translate([FIRST]) + reference.translate([SECOND])
    assert spoken == [first, f"{first} {second}"]
    assert inner.events == ["spoken", "model ended", "spoken"]
    assert result == f"{first} {second}"
    assert first != FIRST  # it went through the translation model


def test_a_spanish_question_reaches_the_english_only_model_in_english(marian_dir: Path) -> None:
    inner, engine, reference = translating(marian_dir)
    image = Image.new("RGB", (8, 8))
    question = "¿De qué color es el coche?"
    answer = engine.ask(image, question, text_on_image=["Hola, señora"])
    assert inner.questions[0][0] == reference.translate([question])[0] != question
    assert inner.text_on_image == ["Hola, señora"]  # the text read on the screen is never translated
    # The next question's history is the English the model wrote, not a translation of a translation.
    engine.ask(image, "¿Y el niño?", [Turn(question, answer)])
    assert inner.questions[1][1] == [Turn(inner.questions[0][0], FIRST)]


def test_many_descriptions_for_documents_are_translated(marian_dir: Path) -> None:
    _inner, engine, reference = translating(marian_dir)
    texts = engine.describe_many([Image.new("RGB", (8, 8))] * 2)
    expected = " ".join(reference.translate([FIRST, SECOND]))
    assert texts == [expected, expected]


def test_without_warm_up_the_translation_model_loads_on_the_first_answer_not_at_start(
    marian_dir: Path,
) -> None:
    models = (str(marian_dir), str(marian_dir))
    engine = answer_in(GatedEnglishEngine(), blip2.FAMILY, "es", models=models, warm_up=False)
    assert isinstance(engine, TranslatingEngine)
    assert not engine.to_user.loaded and not engine.to_english.loaded
    engine.describe(Image.new("RGB", (8, 8)))
    assert engine.to_user.loaded and not engine.to_english.loaded


def test_a_missing_translation_model_says_so_once_and_answers_in_english(tmp_path: Path) -> None:
    inner = GatedEnglishEngine()
    missing = str(tmp_path / "no-model")
    engine = answer_in(inner, smolvlm.FAMILY, "es", models=(missing, missing))
    heard: list[str] = []
    engine.on_notice = heard.append
    image = Image.new("RGB", (8, 8))
    assert engine.describe(image) == FIRST + " " + SECOND
    assert engine.describe(image) == FIRST + " " + SECOND
    assert len(heard) == 1 and "English" in heard[0] and "no-model" in heard[0]


def test_translation_turned_off_answers_in_english_and_says_so_once() -> None:
    inner = GatedEnglishEngine()
    engine = answer_in(inner, blip2.FAMILY, "es", translate=False)
    assert engine is inner
    assert len(engine.notices) == 1 and "English" in engine.notices[0]


def test_english_needs_no_translation() -> None:
    inner = GatedEnglishEngine()
    assert answer_in(inner, blip2.FAMILY, "en") is inner
    assert answer_in(inner, blip2.FAMILY, "en_GB") is inner


def test_a_multilingual_family_is_asked_for_its_answer_in_the_language() -> None:
    inner = ChatLike()
    engine = answer_in(inner, qwen3_5.FAMILY, "es")
    assert engine is inner and inner.answer_language == "es"
    # A document in English asks the same model in English, and one in French in French.
    assert in_language(engine, "en") is inner and inner.answer_language == "en"
    assert in_language(engine, "fr-CA") is inner and inner.answer_language == "fr"
    chat = SimpleNamespace(answer_language="es")
    messages = ChatEngine.conversation(chat, "Describe this picture in one sentence.")  # type: ignore[arg-type]
    assert messages[-1]["content"][-1]["text"].endswith("Answer in Spanish.")
    chat.answer_language = "en"
    english = ChatEngine.conversation(chat, "Describe this picture in one sentence.")  # type: ignore[arg-type]
    assert english[-1]["content"][-1]["text"] == "Describe this picture in one sentence."


@pytest.mark.parametrize(
    ("text", "complete", "rest"),
    [
        ("A cat. A dog", ["A cat."], "A dog"),
        ("A cat. A dog. ", ["A cat.", "A dog."], ""),
        ("¿Qué? ¡Hola! Bien", ["¿Qué?", "¡Hola!"], "Bien"),
        ("3.5 kg", [], "3.5 kg"),
        ("", [], ""),
    ],
)
def test_sentences_are_split_where_they_end(text: str, complete: list[str], rest: str) -> None:
    assert split_sentences(text) == (complete, rest)


def test_the_language_is_named_in_the_apps_language_where_the_user_reads_it() -> None:
    """The status line said "respuestas traducidas al Spanish" (the prompt's English name); the model's
    prompt keeps the English one."""
    from assistant import i18n

    i18n.setup(override="es")
    try:
        engine = answer_in(GatedEnglishEngine(), blip2.FAMILY, "es", models=("a", "b"), warm_up=False)
        assert "traducidas al español en esta computadora" in engine.summary
        off = answer_in(GatedEnglishEngine(), smolvlm.FAMILY, "de", translate=False)
        assert "al alemán está desactivada" in off.notices[0]
        chat = SimpleNamespace(answer_language="es")
        messages = ChatEngine.conversation(chat, "Describe this picture.")  # type: ignore[arg-type]
        assert messages[-1]["content"][-1]["text"].endswith("Answer in Spanish.")
    finally:
        i18n.setup(override="en")


COMMAND = ("assistant models", "--again", "run:")


def _notice_of(engine: TranslatingEngine) -> str:
    heard: list[str] = []
    engine.on_notice = heard.append
    assert engine.describe(Image.new("RGB", (8, 8))) == FIRST + " " + SECOND
    assert len(heard) == 1
    return heard[0]


def test_a_translation_model_not_downloaded_names_settings_in_the_app(monkeypatch) -> None:
    """The app said the command line's "run: assistant models download …", and its user may have no
    terminal; the app's sentence says what to do there (start again online, or answer in English)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = "h48-tests/no-such-translation-model"
    notice = _notice_of(
        answer_in(GatedEnglishEngine(), blip2.FAMILY, "es", models=(model, model), warm_up=False)
    )
    assert notice.endswith(f"assistant models download {model}")  # the command line's
    said = for_app(notice)
    assert not any(command in said for command in COMMAND), said
    assert said.startswith("Answers come in English until the translation model can be loaded.")
    assert "connect to the internet and start the assistant again" in said
    assert said.endswith("turn off “Translate answers into my language” in Settings, under Descriptions.")


def test_a_damaged_translation_model_names_settings_in_the_app(marian_dir: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "opus-mt-damaged"
    damaged.mkdir()
    for file in marian_dir.iterdir():
        (damaged / file.name).write_bytes(file.read_bytes())
    (damaged / "config.json").write_text("{ not json", encoding="utf-8")
    models = (str(damaged), str(damaged))
    notice = _notice_of(answer_in(GatedEnglishEngine(), blip2.FAMILY, "es", models=models, warm_up=False))
    assert "--again" in notice  # the command line's
    said = for_app(notice)
    assert not any(command in said for command in COMMAND), said
    assert f"The translation model {damaged} could not be loaded (" in said
    assert said.endswith("turn off “Translate answers into my language” in Settings, under Descriptions.")
