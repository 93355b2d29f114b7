"""Every prompt the engine sends to BLIP-2, in one place.

BLIP-2 was trained on captions (no prompt) and on "Question: … Answer:" pairs; a conversation is the
earlier turns, each "Question: q Answer: a.", followed by the new question.

A question about a picture with words on it is answered from those words: the text on the image (the
lines OCR read, in reading order) opens the prompt, "Text on the image: … ", before the conversation and
the question. It comes first because it belongs to the picture, as the image tokens before it do, and
it stays the same while the conversation grows.

A question prompt is built to fit the language model's context (see `PromptBudget`): the question must
fit whole; then the text on the image, from its first word, as far as there is room (cut at a word and
marked "…"); then the conversation before the question, newest turn first, in what room is left. The
text comes before the earlier turns because what the picture says is what questions about a screen
are asked about ("What does the error say?"), while an earlier answer is the model's own words, which
the user has heard already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.engine.base import Detail, EngineError, Turn
from assistant.i18n import _

BRIEF_PROMPT = ""
DETAILED_PROMPT = "Question: Describe this picture in detail. Answer:"
TURN_TEMPLATE = "Question: {question} Answer: {answer}."
QUESTION_TEMPLATE = "Question: {question} Answer:"
TEXT_TEMPLATE = "Text on the image: {text}"
TEXT_CUT = " …"
MAX_HISTORY_TURNS = 4

# Generation lengths, in tokens.
MAX_NEW_TOKENS = {"brief": 30, "detailed": 80, "answer": 40}

# Words a language model's token stands for in English, roughly; only for telling people how long is too long.
WORDS_PER_TOKEN = 0.75


class PromptTooLong(EngineError):
    """The question alone does not fit in the model's context."""


@dataclass(frozen=True)
class PromptBudget:
    """The room a prompt's text has in the language model's context, counted in the model's own tokens.

    `tokens` is what is left once the image tokens (and, for a decoder-only model, the answer) have
    their room; `count` counts a prompt's tokens exactly as the model will read them.
    """

    tokens: int
    count: Callable[[str], int]

    def fits(self, prompt: str) -> bool:
        return self.count(prompt) <= self.tokens


def description_prompt(detail: Detail) -> str:
    if detail == "brief":
        return BRIEF_PROMPT
    if detail == "detailed":
        return DETAILED_PROMPT
    raise ValueError(f"unknown detail {detail!r}")


def question_prompt(
    question: str,
    history: Sequence[Turn] = (),
    budget: PromptBudget | None = None,
    text_on_image: Sequence[str] = (),
) -> str:
    """The prompt for `question`: the text on the image as far as it fits in `budget`, then the most
    recent turns of the conversation that fit in what is left, then the question.

    Raises PromptTooLong when the question alone does not fit.
    """
    return build_question(question, history, budget, text_on_image).prompt


@dataclass(frozen=True)
class QuestionPrompt:
    prompt: str
    text: str
    """The text on the image the prompt opens with ("" for none); the engine keeps the model's reading of
    it for the next question about the image, which opens with the same text as long as it fits whole."""


def build_question(
    question: str,
    history: Sequence[Turn] = (),
    budget: PromptBudget | None = None,
    text_on_image: Sequence[str] = (),
) -> QuestionPrompt:
    """`question_prompt`, with the text on the image it opens with."""
    turns = [
        TURN_TEMPLATE.format(question=_one_line(t.question), answer=_one_line(t.answer).rstrip(".!? "))
        for t in list(history)[-MAX_HISTORY_TURNS:]
    ]
    required = QUESTION_TEMPLATE.format(question=_one_line(question))
    check_fits(required, budget)  # before the text is cut to fit with it
    text = fit_text(text_on_image, required, budget)
    return QuestionPrompt(fit_prompt(required, turns, budget, lead=text), text)


def text_piece(lines: Sequence[str], words: int | None = None) -> str:
    """ "Text on the image: …" with `lines` as sentences, cut after `words` words (None: all); "" for none."""
    text = _text_words(lines)
    if not text:
        return ""
    if words is None or words >= len(text):
        return TEXT_TEMPLATE.format(text=" ".join(text))
    return TEXT_TEMPLATE.format(text=" ".join(text[:words]) + TEXT_CUT) if words > 0 else ""


def fit_text(lines: Sequence[str], required: str, budget: PromptBudget | None) -> str:
    """The text on the image, from its first word, as far as it fits in `budget` before `required`.

    A prompt's tokens grow with its words, so the longest start that fits is found by halving: a dozen
    counts for a screen of text, not one a word.
    """
    whole = text_piece(lines)
    if budget is None or not whole or budget.fits(f"{whole} {required}"):
        return whole
    low, high = 0, len(_text_words(lines))  # `low` words fit (none always does), `high` do not
    while high - low > 1:
        middle = (low + high) // 2
        if budget.fits(f"{text_piece(lines, middle)} {required}"):
            low = middle
        else:
            high = middle
    return text_piece(lines, low)


def check_fits(required: str, budget: PromptBudget | None) -> None:
    """Raise PromptTooLong, saying about how many words would fit, when `required` does not fit alone."""
    if budget is not None and not budget.fits(required):
        words = max(
            1, int((budget.tokens - budget.count(QUESTION_TEMPLATE.format(question=""))) * WORDS_PER_TOKEN)
        )
        raise PromptTooLong(
            _("The question is too long for this model; shorten it to about {words} words.").format(
                words=words
            )
        )


def fit_prompt(required: str, earlier: Sequence[str], budget: PromptBudget | None, lead: str = "") -> str:
    """`required` (which must fit whole) after the last pieces of `earlier` that fit with it, the whole
    opened by `lead` (the text on the image, already cut by `fit_text` to fit with `required`; "" for none).

    `earlier` is in prompt order; pieces are kept from the end, and once one does not fit, it and
    everything before it are left out, so what the model reads is an unbroken end of the conversation.
    """
    check_fits(required, budget)
    kept: list[str] = []
    for piece in reversed(earlier):
        candidate = " ".join(filter(None, [lead, piece, *kept, required]))
        if budget is not None and not budget.fits(candidate):
            break
        kept.insert(0, piece)
    return " ".join(filter(None, [lead, *kept, required]))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _text_words(lines: Sequence[str]) -> list[str]:
    return " ".join(_as_sentence(line) for line in lines if line.strip()).split()


def _as_sentence(line: str) -> str:
    # Each line its own sentence, as it is spoken, so a title does not run into the text under it.
    line = _one_line(line)
    return line if line.endswith((".", "!", "?", ":", ";", "…")) else line + "."
