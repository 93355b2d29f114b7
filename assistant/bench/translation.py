"""`--suite translation`: what translating an English-only family's answers costs (docs/translation.md).

- The first spoken sentence with and without translation, with full-size random Marian weights (the shape
  of opus-mt-en-es: 6+6 layers of 512, a 65,001-token vocabulary) on the processor. A fake English model
  says its first sentence at once, so the difference is the translation's own time. Random weights never
  end a sentence early, so each translation runs to its longest (1.5 times the source, plus 8 tokens:
  `added_s`, the target's figure, a worst case); `added_real_length_s` is the same with the translation
  stopped where a real one of that sentence ends (`FIRST_ES`'s tokens through the target tokenizer, its
  end token included). Target: at most 0.3 s more.
  `added_processor_s` is the same in this process's processor time (all its threads): on a machine other
  programs keep busy, the wall clock also counts the wait for a processor. `added_first_answer_s` is the
  first translated sentence after the warm-up, before the rounds (one sample): the app's first answer.
- Switching the language costs nothing at start: choosing Spanish loads no translation model on the
  caller's thread, timed; the background warm-up of both models (which the app starts right after)
  timed apart.

The random checkpoint is built here with its complete tokenizer (sentencepiece models trained on a few
lines); the tests build the same one, tiny (tests/tiny_checkpoints/marian.py).
"""

from __future__ import annotations

import io
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.engine.base import Detail, Engine, TextCallback, Turn
from assistant.engine.families import blip2
from assistant.engine.translate import TranslatingEngine, Translator, answer_in

SCOPE: Scope = "before models"  # its own fake model and translation models
KEY = "translation"
ADDED_LIMIT_S = 0.3  # the most translation may add to the first spoken sentence
SWITCH_LIMIT_S = 0.05  # choosing a language at start: no model loaded
FIRST = "A screenshot of a web page with a search box and a list of results."
REST = "The page has a blue header with the words welcome to the meeting."
# FIRST in Spanish as a person would write it: where a real model's translation of it ends.
FIRST_ES = "Una captura de pantalla de una página web con un cuadro de búsqueda y una lista de resultados."


_CORPUS = """
a photo of a cat sitting on a couch next to a window. a dog running on the grass in a park.
a screenshot of a web page with a search box. the text says welcome to the meeting.
una foto de un gato sentado en un sofá junto a una ventana. un perro corre por la hierba.
¿de qué color es el coche? ¿cuántas personas hay en la imagen? ¡hola! el niño y la señora.
what colour is the car? how many people are in the picture? what does the text say?
a screenshot of a web page with a search box and a list of results.
the page has a blue header with the words welcome to the meeting.
una captura de pantalla de una página web con un cuadro de búsqueda y una lista de resultados.
""".strip()


def _spm(folder: Path, name: str) -> list[str]:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS.splitlines()),
        model_writer=model,
        # Whole words, as a real opus-mt vocabulary splits common ones: a sentence is as many tokens
        # as a real model reads (a character-level one would be three times as many).
        vocab_size=400,
        model_type="word",
        hard_vocab_limit=False,
        character_coverage=1.0,
        # Marian's specials are its own (vocab.json); the spm model only splits words.
        pad_id=-1,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
    )
    (folder / name).write_bytes(model.getvalue())
    processor = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_marian(folder: Path, full_size: bool = False) -> Path:
    """Save a random Marian checkpoint in `folder`; `full_size` has opus-mt-en-es's shape (6 layers of
    512, a 65,001-token vocabulary) for the benchmark, else it is a few kilobytes."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    pieces = _spm(folder, "source.spm")
    pieces += _spm(folder, "target.spm")
    words = ["</s>", "<unk>", "<pad>", *sorted(set(pieces) - {"<unk>"})]
    vocab_size = 65001 if full_size else len(words)
    words += [f"<extra_{index}>" for index in range(vocab_size - len(words))]
    (folder / "vocab.json").write_text(json.dumps({word: i for i, word in enumerate(words)}), "utf-8")
    tokenizer = MarianTokenizer(
        source_spm=str(folder / "source.spm"),
        target_spm=str(folder / "target.spm"),
        vocab=str(folder / "vocab.json"),
    )
    tokenizer.save_pretrained(folder)
    size = {"d_model": 512, "layers": 6, "heads": 8, "ffn": 2048} if full_size else {}
    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=size.get("d_model", 16),
        encoder_layers=size.get("layers", 1),
        decoder_layers=size.get("layers", 1),
        encoder_attention_heads=size.get("heads", 2),
        decoder_attention_heads=size.get("heads", 2),
        encoder_ffn_dim=size.get("ffn", 32),
        decoder_ffn_dim=size.get("ffn", 32),
        max_position_embeddings=512,
        pad_token_id=2,
        eos_token_id=0,
        decoder_start_token_id=2,
        forced_eos_token_id=0,
        architectures=["MarianMTModel"],
    )
    torch.manual_seed(0)
    model = MarianMTModel(config).eval()
    # As a published opus-mt's generation config: the pad token barred, the logits renormalized at each
    # step, beams (which the app turns off) and a long limit (which the app shortens).
    model.generation_config.update(bad_words_ids=[[2]], renormalize_logits=True, num_beams=4, max_length=512)
    model.save_pretrained(folder)
    return folder


class _EnglishModel(Engine):
    """Says its first sentence at once, then the rest: the translation is all that is timed."""

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        if on_text is not None:
            on_text(FIRST + " ")
            on_text(f"{FIRST} {REST}")
        return f"{FIRST} {REST}"

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
        return self.describe(image, on_text=on_text, cancel=cancel)

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        return [self.describe(image) for image in images]

    @property
    def summary(self) -> str:
        return "an English model that answers at once"


def _first_sentence_s(engine: Engine) -> tuple[float, float]:
    """Until the first text reaches speech: seconds, and this process's processor seconds (what the
    work itself costs, apart from waiting for a processor that other programs share)."""
    heard: list[tuple[float, float]] = []
    started, cpu = time.perf_counter(), time.process_time()
    engine.describe(
        Image.new("RGB", (8, 8)),
        on_text=lambda _text: heard.append((time.perf_counter(), time.process_time())),
    )
    return heard[0][0] - started, heard[0][1] - cpu


class _StopsAsARealModel(Translator):
    """A translator whose random model stops after `steps` tokens, as a real translation does."""

    def __init__(self, model: str, steps: int) -> None:
        super().__init__(model)
        self.steps = steps

    def longest(self, source_tokens: int) -> int:
        return self.steps


def measure(folder: Path, repeat: int = 3) -> dict[str, Any]:
    """The figures for the Marian checkpoint in `folder` (both directions)."""
    from transformers import AutoTokenizer

    english = _EnglishModel()
    started = time.perf_counter()
    engine = answer_in(english, blip2.FAMILY, "es", models=(str(folder), str(folder)))
    switch_s = time.perf_counter() - started
    assert isinstance(engine, TranslatingEngine) and engine.warming is not None
    engine.warming.join()  # both models load on the warm-up's thread, as in the app
    warm_up_s = time.perf_counter() - started
    here = threading.current_thread().name
    loaded_at_start = here in (engine.to_user.loaded_on, engine.to_english.loaded_on)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    at_cap = engine.to_user.longest(len(tokenizer(FIRST)["input_ids"]))
    real_steps = len(tokenizer(text_target=FIRST_ES)["input_ids"])  # with its end token: one step each
    stopping = _StopsAsARealModel(str(folder), real_steps)
    stopping.load()
    real = TranslatingEngine(english, "es", stopping, engine.to_english)
    # The first answer after the warm-up, as the app's (one sample: the loaded model translated one
    # short sentence on the warm-up's thread); then the rounds.
    first_answer = _first_sentence_s(engine)
    _first_sentence_s(real)
    runs: dict[str, list[tuple[float, float]]] = {"english": [], "at_cap": [], "real": []}
    for _ in range(max(1, repeat)):  # alternated, so the machine's changing load falls on all three
        for name, measured in (("english", english), ("at_cap", engine), ("real", real)):
            runs[name].append(_first_sentence_s(measured))
    median = {name: [statistics.median(t[i] for t in times) for i in (0, 1)] for name, times in runs.items()}
    return {
        "first_sentence_english_s": round(median["english"][0], 4),
        "first_sentence_translated_s": round(median["at_cap"][0], 4),
        "added_s": round(median["at_cap"][0] - median["english"][0], 4),
        "added_processor_s": round(median["at_cap"][1] - median["english"][1], 4),
        "decode_steps_at_cap": at_cap,
        "added_real_length_s": round(median["real"][0] - median["english"][0], 4),
        "added_real_length_processor_s": round(median["real"][1] - median["english"][1], 4),
        "added_first_answer_s": round(first_answer[0] - median["english"][0], 4),
        "decode_steps_real_length": real_steps,
        "switch_language_s": round(switch_s, 4),
        "translator_loaded_at_start": loaded_at_start,
        "warm_up_both_models_s": round(warm_up_s, 3),
    }


def run(bench: Bench) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="opus-mt-random-") as folder:
        checkpoint = build_marian(Path(folder) / "opus-mt-en-es", full_size=True)
        figures = measure(checkpoint, bench.args.repeat)
    print("\n== translation (an English-only model's answers in Spanish, full-size random Marian)")
    show(figures)
    return figures


def targets(figures: dict[str, Any], bench: Bench) -> Iterator[Target]:
    yield target(
        "[translation] added_s",
        figures["added_s"],
        ADDED_LIMIT_S,
        f"translation adds at most {ADDED_LIMIT_S} s to the first spoken sentence (random weights: "
        f"{figures['decode_steps_at_cap']} steps, to the cap)",
    )
    yield target(
        "[translation] added_real_length_s",
        figures["added_real_length_s"],
        ADDED_LIMIT_S,
        f"the same, stopped where a real translation ends ({figures['decode_steps_real_length']} steps)",
    )
    yield target(
        "[translation] switch_language_s",
        figures["switch_language_s"],
        SWITCH_LIMIT_S,
        "choosing a language at start loads no translation model",
    )
    yield target(
        "[translation] translator_loaded_at_start",
        float(figures["translator_loaded_at_start"]),
        0,
        "the translation models load on the first answer, not at start",
    )
