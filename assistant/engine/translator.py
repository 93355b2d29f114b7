"""One direction of translation on this computer: a Marian opus-mt model through transformers, loaded
once (by the warm-up or the first answer that needs it), run greedy in int8, and the text split into
sentences for it. No Qt; torch loads on first use. What is translated and when: translate.py.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.engine import models as model_files
from assistant.engine.base import Cancelled, EngineError, TextCallback
from assistant.i18n import _

# What a loaded model translates first, unheard: as long as a description's first sentence, as a
# short one ("Hello.") left the first answer 0.004 to 0.09 s of one-time work still to do.
WARM_UP_TEXT = "A photo of a person sitting at a desk with a computer, a lamp and a cup of coffee."
MAX_NEW_TOKENS = 128  # a sentence of a description or an answer is far shorter
# A translation is about as long as its source: a runaway repetition stops at 1.5 times it, plus a few.
LENGTH_RATIO, LENGTH_SLACK = 1.5, 8
# A sentence ends at . ! ? or … followed by a space; the text after the last one is still being written.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
# The most words translated as one piece. A longer text (a run-on answer, a pasted question, a turn of a
# saved conversation) goes by sentences, and a longer sentence at its last comma or semicolon before this,
# else at this word: whole, it was cut to the model's 512 tokens read and MAX_NEW_TOKENS written.
PIECE_WORDS = 40
BATCH = 32  # pieces translated at once: a long text's hundreds of pieces are not one batch in memory


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
    the captioner's download path, or before it by the warm-up thread. Each translator has its own lock:
    an answer waits for a load under way of the model it needs (not loading it twice), never for
    another model's."""

    def __init__(self, model: str, on_progress: Callable[[str], None] | None = None) -> None:
        self.model_name, self.on_progress = model, on_progress
        self._loaded: tuple[Any, Any] | None = None
        self._failure: EngineError | None = None  # a failed load is said once, not tried again
        self.loaded_on: str | None = None  # the name of the thread that loaded it
        self._lock = threading.RLock()

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def on_disk(self) -> bool:
        """Whether the model is on this computer already (a folder, or downloaded before)."""
        return model_files.cached_path(self.model_name) is not None

    def load(self) -> None:
        with self._lock:
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
            # One sentence through the model here (in the app, on the warm-up's thread): the
            # first sentence's one-time costs are paid before the first answer, not in it (the loop's
            # joined weights, PyTorch's int8 kernels generated for this processor, first allocations:
            # about 0.1 s of a first sentence's 0.3 to 0.4 s, docs/translation.md).
            self.translate([WARM_UP_TEXT])

    def _load(self) -> tuple[Any, Any]:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        try:
            folder: Path = model_files.ensure_model(
                self.model_name, progress=False, on_progress=self.on_progress
            )
        except model_files.ModelNotAvailable as error:
            # The app's sentence named Settings' Model list, which is the describing model's, not this one.
            error.app_message = _(
                "The translation model {model} is not on this computer and could not be downloaded; connect to the internet and start the assistant again, or turn off “Translate answers into my language” in Settings, under Descriptions."
            ).format(model=self.model_name)
            raise
        try:
            with model_files.LOADING:
                tokenizer = AutoTokenizer.from_pretrained(folder)
                model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
            model = _int8(model)
        except (OSError, ValueError, ImportError) as error:
            reason = str(error).splitlines()[0][:100]
            failure = EngineError(
                _(
                    "The translation model {model} could not be loaded ({reason}). Download it again with: assistant models download --again {model}"
                ).format(model=self.model_name, reason=reason)
            )
            # The app downloads no model anew; what its user can do there is answer in English.
            failure.app_message = _(
                "The translation model {model} could not be loaded ({reason}); turn off “Translate answers into my language” in Settings, under Descriptions."
            ).format(model=self.model_name, reason=reason)
            raise failure from None
        return tokenizer, model

    def longest(self, source_tokens: int) -> int:
        """The most tokens a translation of `source_tokens` may have: a runaway repetition stops there."""
        return int(source_tokens * LENGTH_RATIO) + LENGTH_SLACK

    def translate(self, texts: Sequence[str], cancel: threading.Event | None = None) -> list[str]:
        """Each of `texts` translated, their pieces (`pieces`) BATCH at a time; empty texts stay empty."""
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        split = [pieces(text) for text in texts]
        flat = [piece for parts in split for piece in parts]
        if not flat:
            return ["" for _text in texts]
        done: list[str] = []
        for start in range(0, len(flat), BATCH):
            if start and cancel is not None and cancel.is_set():
                raise Cancelled()
            done += self._translate(flat[start : start + BATCH])
        translated = iter(done)
        return [" ".join(t for t in (next(translated) for _piece in parts) if t) for parts in split]

    def _translate(self, texts: list[str]) -> list[str]:
        import torch

        from assistant.engine import marian

        self.load()
        assert self._loaded is not None
        tokenizer, model = self._loaded
        batch = tokenizer(texts, return_tensors="pt", padding=True, truncation=True)
        with self._lock, torch.inference_mode(), one_thread():
            # Greedy: a beam search would cost the first sentence several times as long. One sentence
            # (the one speech waits for) runs over the model's layers alone, as fast as its products allow.
            longest = min(MAX_NEW_TOKENS, self.longest(batch["input_ids"].shape[1]))
            if marian.fits(model, batch):
                ids = marian.translate(model, batch, longest)
            else:
                ids = model.generate(**batch, max_new_tokens=longest, num_beams=1, do_sample=False)
        return [" ".join(text.split()) for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]


def pieces(text: str) -> list[str]:
    """What of `text` the model translates whole: the text itself up to PIECE_WORDS words, else its
    sentences, each cut into runs of at most PIECE_WORDS words; none for a text of spaces."""
    if len(text.split()) <= PIECE_WORDS:
        return [text.strip()] if text.strip() else []
    sentences, rest = split_sentences(text)
    found: list[str] = []
    for sentence in [*sentences, rest]:
        words = sentence.split()
        while len(words) > PIECE_WORDS:
            ends = [at + 1 for at in range(PIECE_WORDS // 2, PIECE_WORDS) if words[at][-1] in ",;:"]
            cut = ends[-1] if ends else PIECE_WORDS
            found.append(" ".join(words[:cut]))
            words = words[cut:]
        if words:
            found.append(" ".join(words))
    return found


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """PyTorch on one thread while a sentence is translated. A sentence is about 1,600 int8 products of
    one token, about 100 µs each: two threads gain nothing there. With OpenMP's default waiting, the
    idle one spins and burns the processor its partner needs (on the team's 2-core machine, 2 to 24 s
    against 0.4 to 1.1 s on one thread, even at load 2); waiting passively (OMP_WAIT_POLICY=PASSIVE) is
    safe but no faster than one thread, as waking the partner costs what it saves (docs/translation.md).
    The captioner is paused meanwhile (this runs in its streamer's callback), so it keeps its threads."""
    import torch

    count = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(count)


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


class SentenceStream:
    """Turns the model's growing English text into growing translated text, a sentence at a time. The
    translation model is needed only at the first complete sentence, so the English model starts while
    it still loads; where it cannot load, `on_failure` hears why once and the rest stays English."""

    def __init__(
        self,
        translator: Translator,
        on_text: TextCallback | None,
        cancel: threading.Event | None,
        on_failure: Callable[[EngineError], None] | None = None,
    ) -> None:
        self.translator, self.on_text, self.cancel = translator, on_text, cancel
        self.on_failure = on_failure
        self.failed = False
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
        text = sentence.strip()
        if not self.failed:
            try:
                text = self.translator.translate([text], self.cancel)[0]
            except Cancelled:
                raise
            except EngineError as error:  # the model could not load (said once): the rest in English
                self.failed = True
                if self.on_failure is not None:
                    self.on_failure(error)
        self.translated.append(text)
        if self.on_text is not None:
            self.on_text(" ".join(self.translated))


def translate_texts(translator: Translator, texts: Sequence[str]) -> list[str]:
    """Each text translated sentence by sentence, all sentences in one batch (a model translates a
    sentence better than a paragraph)."""
    split = [[*parts, rest] for parts, rest in (split_sentences(text) for text in texts)]
    flat = [sentence for sentences in split for sentence in sentences]
    translated = iter(translator.translate(flat))
    return [" ".join(t for t in (next(translated) for _s in sentences) if t) for sentences in split]
