"""The models we know: each one's family, download size, memory at each precision, licence and languages,
and which of them fits this machine best. No torch here.

Sizes are worked out from the parameter count and the precision each checkpoint is published in (BLIP-2
in float32, the others in bfloat16), so they are "about"; memory is for the weights, and generating
needs a few hundred megabytes more. Each model also has a short name that `--model` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import DEFAULT_MODEL
from assistant.i18n import ENGLISH_NAMES, N_, _, decimal

__all__ = ["DEFAULT_MODEL", "KNOWN_MODELS", "KnownModel", "best_fitting", "known", "resolve"]
GIB = 1024**3
_BYTES_PER_WEIGHT = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.0, "int4": 0.5}
MANY_LANGUAGES = N_("many languages")


@dataclass(frozen=True)
class KnownModel:
    id: str
    short: str  # what --model also accepts: "qwen3.5-0.8b"
    family: str
    parameters: int
    published_bytes_per_weight: float  # 4 for float32 checkpoints, 2 for bfloat16 ones
    licence: str
    languages: str
    note: str

    @property
    def download_bytes(self) -> int:
        return int(self.parameters * self.published_bytes_per_weight)

    def memory_bytes(self, precision: str) -> int:
        """The weights' memory at `precision` (fp32, bf16, fp16, int8, int4)."""
        return int(self.parameters * _BYTES_PER_WEIGHT[precision])

    def note_sentence(self) -> str:
        """The note in the user's language, begun as a sentence (its catalogue text is lower case)."""
        note = _(self.note)
        return note[:1].upper() + note[1:]

    def facts(self) -> str:
        """One sentence of facts, for `assistant models` and for Settings to say."""
        memory = ", ".join(
            f"{precision} {_gb(self.memory_bytes(precision))}" for precision in ("int8", "bf16", "fp32")
        )
        return _(
            "{family}, {parameters} billion parameters, about {gb} to download, memory {memory}, {licence} licence, {languages}"
        ).format(
            family=self.family,
            parameters=decimal(self.parameters / 1e9, ".2g"),
            gb=_gb(self.download_bytes),
            memory=memory,
            licence=self.licence,
            languages=_(self.languages),
        )


KNOWN_MODELS = (
    KnownModel(
        DEFAULT_MODEL,
        "blip2",
        "BLIP-2",
        3_745_000_000,
        4,
        "MIT",
        N_("English"),
        N_("default; good captions, fast enough on a processor in int8"),
    ),
    KnownModel(
        "Salesforce/blip2-opt-2.7b-coco",
        "blip2-coco",
        "BLIP-2",
        3_745_000_000,
        4,
        "MIT",
        N_("English"),
        N_("fine-tuned on COCO captions"),
    ),
    KnownModel(
        "Salesforce/blip2-flan-t5-xl",
        "blip2-flan-t5-xl",
        "BLIP-2",
        3_942_000_000,
        4,
        "MIT",
        N_("English"),
        N_("Flan-T5 language model; better at questions"),
    ),
    KnownModel(
        "Salesforce/blip2-opt-6.7b",
        "blip2-6.7b",
        "BLIP-2",
        7_750_000_000,
        4,
        "MIT",
        N_("English"),
        N_("larger; wants a graphics card"),
    ),
    KnownModel(
        "Salesforce/blip2-flan-t5-xxl",
        "blip2-flan-t5-xxl",
        "BLIP-2",
        12_230_000_000,
        4,
        "MIT",
        N_("English"),
        N_("largest; wants a big graphics card"),
    ),
    KnownModel(
        "Qwen/Qwen3.5-0.8B",
        "qwen3.5-0.8b",
        "Qwen3.5",
        870_000_000,
        2,
        "Apache-2.0",
        MANY_LANGUAGES,
        N_("small and multilingual; answers questions about screens well"),
    ),
    KnownModel(
        "Qwen/Qwen3.5-2B",
        "qwen3.5-2b",
        "Qwen3.5",
        2_270_000_000,
        2,
        "Apache-2.0",
        MANY_LANGUAGES,
        N_("better descriptions than the 0.8B; slower on a processor"),
    ),
    KnownModel(
        "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
        "smolvlm2-256m",
        "SmolVLM2",
        256_000_000,
        2,
        "Apache-2.0",
        N_("English"),
        N_("the fastest; short, plain descriptions"),
    ),
    KnownModel(
        "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
        "smolvlm2-500m",
        "SmolVLM2",
        507_000_000,
        2,
        "Apache-2.0",
        N_("English"),
        N_("fast; better than the 256M"),
    ),
    KnownModel(
        "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
        "smolvlm2-2.2b",
        "SmolVLM2",
        2_250_000_000,
        2,
        "Apache-2.0",
        N_("English"),
        N_("the best SmolVLM2; wants a fast processor or a graphics card"),
    ),
    KnownModel(
        "google/gemma-4-E2B-it",
        "gemma4-e2b",
        "Gemma 4",
        5_100_000_000,
        2,
        "Apache-2.0",
        MANY_LANGUAGES,
        N_("multilingual; good with text on screens; wants a graphics card or plenty of memory"),
    ),
)

# From the best descriptions to the plainest: `best_fitting` names the first that fits.
BEST_FIRST = (
    "google/gemma-4-E2B-it",
    "Qwen/Qwen3.5-2B",
    "HuggingFaceTB/SmolVLM2-2.2B-Instruct",
    "Qwen/Qwen3.5-0.8B",
    DEFAULT_MODEL,
    "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
    "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
)
# On a processor, only those quick enough there, best first: on 2 cores Qwen3.5-0.8B says its first sentence
# in 2.9 s, Gemma 4 E2B in 11.7 s (BENCHMARKS.md); the 2B-class models are slower still.
BEST_ON_A_PROCESSOR = (
    "Qwen/Qwen3.5-0.8B",
    DEFAULT_MODEL,
    "HuggingFaceTB/SmolVLM2-500M-Video-Instruct",
    "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
)
HEADROOM = 0.8  # the share of free memory the weights may take; the rest is for generating and the app


def known(model: str) -> KnownModel | None:
    """The known model `model` names (its hub id or short name, in any case), else None."""
    wanted = model.strip().lower()
    return next((m for m in KNOWN_MODELS if wanted in (m.id.lower(), m.short)), None)


def resolve(model: str) -> str:
    """The hub id of a short name; anything else as given (a hub id, a folder)."""
    found = known(model)
    return found.id if found is not None and model.strip().lower() == found.short else model


def best_fitting(free_memory: int, gpu_free: int | None) -> tuple[KnownModel, str] | None:
    """The best known model whose weights fit in float16 on the graphics card (`gpu_free` bytes free), else
    the best of those quick enough on a processor that fits there in int8 (`free_memory` bytes free).
    Returns it and where it runs; None when even the smallest does not fit."""
    for model_id in BEST_FIRST:
        model = known(model_id)
        assert model is not None
        if gpu_free is not None and model.memory_bytes("fp16") <= gpu_free * HEADROOM:
            return model, _("the graphics card in fp16")
    for model_id in BEST_ON_A_PROCESSOR:
        model = known(model_id)
        assert model is not None
        if model.memory_bytes("int8") <= free_memory * HEADROOM:
            return model, _("the processor in int8")
    return None


def _gb(size: float) -> str:
    return f"{decimal(size / GIB)} GB"


def choice_description(model: str) -> str:
    """What Settings says of the model typed in its Model field: the known model's facts, or what may be
    typed there."""
    found = known(model)
    if found is None:
        return _("A Hugging Face model name, a short name such as qwen3.5-0.8b, or a local folder.")
    return f"{found.id}: {found.facts()}. {found.note_sentence()}."


# The Marian (opus-mt) pair that translates an English-only family's answers into a language and the
# user's questions into English, downloaded on first use like the captioner (assistant.engine.translate).
TRANSLATION_MODELS = {
    language: (f"Helsinki-NLP/opus-mt-en-{language}", f"Helsinki-NLP/opus-mt-{language}-en")
    for language in ("es", "de", "fr", "it", "nl", "ru", "zh")
}


def language_name(language: str) -> str:
    """ "Spanish" for "es"; an unknown language by its code (a model understands "the language es")."""
    return ENGLISH_NAMES.get(language, f"the language {language}")
