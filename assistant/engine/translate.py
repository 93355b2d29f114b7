"""Answers in the user's language from a model that speaks only English: a local translation model
(Marian opus-mt, through transformers) around the family's engine. No Qt; torch loads on first use.

`answer_in` is the one place the choice is made, right after a family's engine is loaded: a family that
speaks the language is asked for its answer in it (its prompt); an English-only one is wrapped in
`TranslatingEngine`, which translates the question to English and the answer back, sentence by
sentence as the model writes it, so the first sentence is spoken while the rest is generated.
Choosing a language loads nothing, so it costs nothing at start: the translation models on this
computer then load in the background (`TranslatingEngine.warm_up`), one still to download on first use.
The text read on the picture (OCR) never passes through here: it is read word for word. One
translation model, its load and its sentences: translator.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PIL import Image

from assistant.engine.base import Detail, Engine, EngineError, TextCallback, Turn
from assistant.engine.catalogue import TRANSLATION_MODELS
from assistant.engine.translator import SentenceStream, Translator, split_sentences, translate_texts
from assistant.errors import Notice
from assistant.i18n import N_, _

if TYPE_CHECKING:
    from assistant.engine.families import Family

log = logging.getLogger(__name__)

ENGLISH = "en"
WARM_UP = "translation warm-up"  # the warm-up thread's name
__all__ = [
    "TranslatingEngine",
    "Translator",
    "answer_in",
    "in_language",
    "split_sentences",
    "translate_texts",
]


class TranslatingEngine(Engine):
    """An English-only engine whose questions are translated to English and whose answers are translated
    into `language`, both on this computer. Everything else is the wrapped engine's."""

    def __init__(self, inner: Engine, language: str, to_user: Translator, to_english: Translator) -> None:
        self.inner, self.language = inner, language
        self.to_user, self.to_english = to_user, to_english
        self._own_notices: list[str] = []
        # The English a translated question or answer came from, so the history the model reads is its own.
        self._english: dict[str, str] = {}
        self._failed = False
        self.warming: threading.Thread | None = None  # the background load, once started

    # ---- what the wrapped engine has -------------------------------------------------------------

    @property
    def notices(self) -> Sequence[str]:
        return [*self.inner.notices, *self._own_notices]

    @notices.setter
    def notices(self, value: Sequence[str]) -> None:
        self._own_notices = list(value)

    @property
    def on_notice(self) -> Callable[[str], None] | None:
        return self.inner.on_notice

    @on_notice.setter
    def on_notice(self, value: Callable[[str], None] | None) -> None:
        self.inner.on_notice = value

    def prepare_more(self) -> bool:
        return self.inner.prepare_more()

    def __getattr__(self, name: str) -> Any:  # clear_feature_cache, runtime…: the wrapped engine's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def summary(self) -> str:
        return _("{summary}; answers translated into {language} on this computer").format(
            summary=self.inner.summary, language=shown_name(self.language)
        )

    def warm_up(self) -> threading.Thread | None:
        """Load the translation models already on this computer on a background thread, the answers'
        first, so the first answer does not wait for them; one still to download is left to it."""
        waiting = [t for t in (self.to_user, self.to_english) if not t.loaded]
        if not waiting:
            return None
        self.warming = threading.Thread(target=_warm, args=(waiting,), name=WARM_UP, daemon=True)
        self.warming.start()
        return self.warming

    # ---- the interface ---------------------------------------------------------------------------

    def _ready(self, translators: Sequence[Translator]) -> bool:
        """Load the translation models the first time; where that fails, say why once and answer in English."""
        if self._failed:
            return False
        try:
            for translator in translators:
                translator.load()
        except EngineError as error:
            self._fail(error)
            return False
        return True

    def _fail(self, error: EngineError) -> None:
        self._failed = True
        # The reason last: it may end with a command to run, which no words may follow.
        # Translators: said once where a translation model cannot be loaded; {reason} says why and how
        # to fix it, and may end with a command (so it comes last).
        said = _("Answers come in English until the translation model can be loaded. {reason}")
        message = Notice(said.format(reason=str(error)), said.format(reason=error.for_app()))
        self._own_notices.append(message)
        if self.on_notice is not None:
            self.on_notice(message)

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        if self._failed:
            return self.inner.describe(image, detail, on_text, cancel)
        # The answers' model is loaded at the first sentence: the English model starts meanwhile.
        return self._answer(lambda hook: self.inner.describe(image, detail, hook, cancel), on_text, cancel)

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
        if not question.strip() or not self._ready([self.to_english]):
            return self.inner.ask(image, question, history, on_text, cancel, text_on_image=text_on_image)
        texts = [question] + [part for turn in history for part in (turn.question, turn.answer)]
        missing = [text for text in texts[1:] if text not in self._english]
        for text, english in zip(missing, self.to_english.translate(missing, cancel), strict=True):
            self._english[text] = english
        english_question = self.to_english.translate([question], cancel)[0]
        self._english[question] = english_question
        english_history = [Turn(self._english[t.question], self._english[t.answer]) for t in history]
        # The text on the picture is passed as it was read: the model reads it, nothing translates it.
        return self._answer(
            lambda hook: self.inner.ask(
                image, english_question, english_history, hook, cancel, text_on_image=text_on_image
            ),
            on_text,
            cancel,
        )

    def _answer(
        self,
        generate: Callable[[TextCallback | None], str],
        on_text: TextCallback | None,
        cancel: threading.Event | None,
    ) -> str:
        stream = SentenceStream(self.to_user, on_text, cancel, self._fail)
        english = generate(stream.feed if on_text is not None else None)
        translated = stream.finish(english)
        self._english[translated] = english
        return translated

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        english = self.inner.describe_many(images, detail, batch_size)
        if not self._ready([self.to_user]):
            return english
        return translate_texts(self.to_user, english)


def _warm(translators: Sequence[Translator]) -> None:
    for translator in translators:
        try:
            if translator.on_disk():
                translator.load()
        except EngineError:
            pass  # kept by the translator: the first answer says it, as where nothing warmed up
        except Exception:
            log.exception("the translation model %s could not warm up", translator.model_name)


def shown_name(language: str) -> str:
    """The language's name in the app's language ("español"; the prompt's stay English: language_name)."""
    names = [N_("German"), N_("English"), N_("Spanish"), N_("French"), N_("Italian"), N_("Japanese")]
    names += [N_("Dutch"), N_("Polish"), N_("Portuguese"), N_("Russian"), N_("Chinese")]
    found = dict(zip(("de", "en", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "zh"), names, strict=True))
    return _(found[language]) if language in found else language


def speaks(family: Family, language: str) -> bool:
    """Whether the family answers in `language` when asked to (its module declares what it speaks)."""
    return "*" in family.languages or language in family.languages


def answer_in(
    engine: Engine,
    family: Family,
    language: str,
    translate: bool = True,
    on_progress: Callable[[str], None] | None = None,
    models: tuple[str, str] | None = None,
    warm_up: bool = True,
) -> Engine:
    """The engine that answers in `language`: the family asked in it, or the answers translated
    (`models`: the to-`language` and to-English models; the catalogue's by default). With `translate`
    off, or no translation model for the language, answers come in English and a notice says so once.
    Nothing loads here; with `warm_up`, translation models on disk load in the background after."""
    choice = _Choice(engine, family, translate, on_progress, models, warm_up)
    chosen = choice.engine(language)
    setattr(chosen, _CHOICE, choice)  # in_language finds it on the engine handed out
    return chosen


def in_language(engine: Engine, language: str) -> Engine:
    """The engine that answers in `language` (a document's own) instead of the user's: the same model,
    asked in it or translated. An engine not made by `answer_in` (a model server) answers as it does."""
    choice: _Choice | None = getattr(engine, _CHOICE, None)
    return engine if choice is None else choice.engine(language)


_CHOICE = "_language_choice"


@dataclass
class _Choice:
    """How one loaded model answers in each language; translating engines are kept, so each language's
    translation models load once."""

    base: Engine
    family: Family
    translate: bool
    on_progress: Callable[[str], None] | None
    models: tuple[str, str] | None
    warm_up: bool = True
    translating: dict[str, Engine] = field(default_factory=dict)

    def engine(self, language: str) -> Engine:
        language = language.split("_")[0].split("-")[0].lower() or ENGLISH
        if language in self.translating:
            return self.translating[language]
        engine = _choose(self.base, self.family, language, self.translate, self.on_progress, self.models)
        if isinstance(engine, TranslatingEngine):
            self.translating[language] = engine
            if self.warm_up:
                engine.warm_up()
        return engine


def _choose(
    engine: Engine,
    family: Family,
    language: str,
    translate: bool,
    on_progress: Callable[[str], None] | None,
    models: tuple[str, str] | None,
) -> Engine:
    if language == ENGLISH or speaks(family, language):
        if hasattr(engine, "answer_language"):  # a ChatEngine: its prompt asks for the language
            setattr(engine, "answer_language", language)  # noqa: B010
        return engine
    name = shown_name(language)
    models = models or TRANSLATION_MODELS.get(language)
    if not translate or models is None:
        notice = (
            _("{family} answers in English, because translating its answers into {language} is turned off.")
            if not translate
            else _("{family} answers in English: there is no translation model for {language} yet.")
        ).format(family=family.name, language=name)
        if notice not in engine.notices:
            engine.notices = [*engine.notices, notice]
        return engine
    return TranslatingEngine(
        engine, language, Translator(models[0], on_progress), Translator(models[1], on_progress)
    )
