"""Answers in the user's language from a model that speaks only English: a local translation model
(Marian opus-mt, through transformers) around the family's engine. No Qt; torch loads on first use.

`answer_in` is the one place the choice is made, right after a family's engine is loaded: a family that
speaks the language is asked for its answer in it (its prompt); an English-only one is wrapped in
`TranslatingEngine`, which translates the question to English and the answer back, sentence by
sentence as the model writes it, so the first sentence is spoken while the rest is generated.
Choosing a language loads nothing, so it costs nothing at start: the translation models on this
computer then load in the background (`TranslatingEngine.warm_up`), one still to download on first use.
The text read on the picture (OCR) never passes through here: it is read word for word.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from assistant.engine import models as model_files
from assistant.engine.base import Cancelled, Detail, Engine, EngineError, TextCallback, Turn
from assistant.engine.catalogue import TRANSLATION_MODELS
from assistant.i18n import N_, _

if TYPE_CHECKING:
    from assistant.engine.families import Family

log = logging.getLogger(__name__)
# transformers' from_pretrained patches torch for the process while it loads (the default device and
# dtype, torch.linspace): a model that runs meanwhile on another thread fails (its tensors made on the
# "meta" device). So loading a translation model and running any model through this module never overlap.
_TORCH_WORK = threading.RLock()


ENGLISH = "en"
WARM_UP = "translation warm-up"  # the warm-up thread's name
MAX_NEW_TOKENS = 128  # a sentence of a description or an answer is far shorter
# A translation is about as long as its source: a runaway repetition stops at 1.5 times it, plus a few.
LENGTH_RATIO, LENGTH_SLACK = 1.5, 8
# A sentence ends at . ! ? or … followed by a space; the text after the last one is still being written.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def split_sentences(text: str) -> tuple[list[str], str]:
    """The complete sentences of `text` and the part still being written after them."""
    parts = _SENTENCE_END.split(text.strip()) if text.strip() else []
    if not parts:
        return [], ""
    if _SENTENCE_END.search(text[-1:]) or text.rstrip() != text:
        return [p for p in parts if p], ""
    return [p for p in parts[:-1] if p], parts[-1]


class Translator:
    """One direction of translation, one model (a hub id or a folder), loaded on its first use through
    the captioner's download path, or before it by the warm-up thread. Loading and translating hold
    `_TORCH_WORK`, so the first answer waits for a warm-up under way instead of loading the model twice."""

    def __init__(self, model: str, on_progress: Callable[[str], None] | None = None) -> None:
        self.model_name, self.on_progress = model, on_progress
        self._loaded: tuple[Any, Any] | None = None
        self._failure: EngineError | None = None  # a failed load is said once, not tried again
        self.loaded_on: str | None = None  # the name of the thread that loaded it

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def on_disk(self) -> bool:
        """Whether the model is on this computer already (a folder, or downloaded before)."""
        return model_files.cached_path(self.model_name) is not None

    def load(self) -> None:
        with _TORCH_WORK:
            if self._loaded is not None:
                return
            if self._failure is not None:
                raise self._failure
            try:
                self._loaded = self._load()
            except EngineError as error:
                self._failure = error
                raise
            self.loaded_on = threading.current_thread().name

    def _load(self) -> tuple[Any, Any]:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        folder: Path = model_files.ensure_model(self.model_name, progress=False, on_progress=self.on_progress)
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = _int8(AutoModelForSeq2SeqLM.from_pretrained(folder).eval())
        except (OSError, ValueError, ImportError) as error:
            raise EngineError(
                _(
                    "The translation model {model} could not be loaded ({reason}). Download it again with: assistant models download --again {model}"
                ).format(model=self.model_name, reason=str(error).splitlines()[0][:100])
            ) from None
        return tokenizer, model

    def translate(self, texts: Sequence[str], cancel: threading.Event | None = None) -> list[str]:
        """Each of `texts` translated, in one batch; empty texts stay empty."""
        import torch

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        wanted = [index for index, text in enumerate(texts) if text.strip()]
        results = ["" for _text in texts]
        if not wanted:
            return results
        self.load()
        assert self._loaded is not None
        tokenizer, model = self._loaded
        batch = tokenizer([texts[i] for i in wanted], return_tensors="pt", padding=True, truncation=True)
        with _TORCH_WORK, torch.inference_mode(), _one_thread():
            # Greedy: a beam search would cost the first sentence several times as long.
            longest = int(batch["input_ids"].shape[1] * LENGTH_RATIO) + LENGTH_SLACK
            ids = model.generate(
                **batch, max_new_tokens=min(MAX_NEW_TOKENS, longest), num_beams=1, do_sample=False
            )
        for index, text in zip(wanted, tokenizer.batch_decode(ids, skip_special_tokens=True), strict=True):
            results[index] = " ".join(text.split())
        return results


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """PyTorch on one thread while a sentence is translated (one token's products, too small to share
    out; with two, on a processor other programs keep busy, the second's worker spins waiting: on the
    team's 2-core machine at load 12, 15 to 18 s against 0.7 to 1.6 s for a full-size Marian sentence).
    The captioner is paused meanwhile (this runs in its streamer's callback), so it keeps its threads."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _int8(model: Any) -> Any:
    """Linear layers in int8 (PyTorch's dynamic quantization): a sentence about twice as fast, as Marian
    models are commonly served (CTranslate2); float32 where this PyTorch has no such quantization."""
    import warnings

    import torch

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao's notice that it moves to torchao
            return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    except (AttributeError, RuntimeError, NotImplementedError):
        return model


class _SentenceStream:
    """Turns the model's growing English text into growing translated text, a sentence at a time."""

    def __init__(
        self, translator: Translator, on_text: TextCallback | None, cancel: threading.Event | None
    ) -> None:
        self.translator, self.on_text, self.cancel = translator, on_text, cancel
        self.source = ""  # the English consumed so far (complete sentences)
        self.translated: list[str] = []

    def feed(self, text: str) -> None:
        if not text.startswith(self.source):  # the model's cleaning rewrote earlier words: wait for the end
            return
        sentences, _rest = split_sentences(text[len(self.source) :])
        for sentence in sentences:
            self._add(sentence)
            self.source = text[: text.index(sentence, len(self.source)) + len(sentence)]

    def finish(self, text: str) -> str:
        if not text.startswith(self.source):  # start again from the final text
            self.source, self.translated = "", []
        sentences, rest = split_sentences(text[len(self.source) :])
        for sentence in [*sentences, rest]:
            if sentence.strip():
                self._add(sentence)
        self.source = text
        return " ".join(self.translated)

    def _add(self, sentence: str) -> None:
        self.translated.append(self.translator.translate([sentence.strip()], self.cancel)[0])
        if self.on_text is not None:
            self.on_text(" ".join(self.translated))


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
            self._failed = True
            message = _("{reason} Until then, answers come in English.").format(reason=str(error))
            self._own_notices.append(message)
            if self.on_notice is not None:
                self.on_notice(message)
            return False
        return True

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        with _TORCH_WORK:  # a warm-up does not load while the model runs
            if not self._ready([self.to_user]):
                return self.inner.describe(image, detail, on_text, cancel)
            return self._answer(
                lambda hook: self.inner.describe(image, detail, hook, cancel), on_text, cancel
            )

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
        with _TORCH_WORK:
            if not question.strip() or not self._ready([self.to_english, self.to_user]):
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
        stream = _SentenceStream(self.to_user, on_text, cancel)
        english = generate(stream.feed if on_text is not None else None)
        translated = stream.finish(english)
        self._english[translated] = english
        return translated

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        with _TORCH_WORK:
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


def translate_texts(translator: Translator, texts: Sequence[str]) -> list[str]:
    """Each text translated sentence by sentence, all sentences in one batch (a model translates a
    sentence better than a paragraph)."""
    split = [[*parts, rest] for parts, rest in (split_sentences(text) for text in texts)]
    flat = [sentence for sentences in split for sentence in sentences]
    translated = iter(translator.translate(flat))
    return [" ".join(t for t in (next(translated) for _s in sentences) if t) for sentences in split]


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
