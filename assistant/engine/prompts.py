"""Every prompt the engine sends to BLIP-2, in one place.

BLIP-2 was trained on captions (no prompt) and on "Question: … Answer:" pairs; a conversation is the
earlier turns, each "Question: q Answer: a.", followed by the new question.

A question prompt is built to fit the language model's context (see `PromptBudget`): the question must
fit whole; the conversation before it is kept newest first, as far as there is room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.engine.base import Detail, EngineError, Turn

BRIEF_PROMPT = ""
DETAILED_PROMPT = "Question: Describe this picture in detail. Answer:"
TURN_TEMPLATE = "Question: {question} Answer: {answer}."
QUESTION_TEMPLATE = "Question: {question} Answer:"
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


def question_prompt(question: str, history: Sequence[Turn] = (), budget: PromptBudget | None = None) -> str:
    """The prompt for `question`, after the most recent turns of the conversation that fit in `budget`.

    Raises PromptTooLong when the question alone does not fit.
    """
    turns = [
        TURN_TEMPLATE.format(question=_one_line(t.question), answer=_one_line(t.answer).rstrip(".!? "))
        for t in list(history)[-MAX_HISTORY_TURNS:]
    ]
    return fit_prompt(QUESTION_TEMPLATE.format(question=_one_line(question)), turns, budget)


def fit_prompt(required: str, earlier: Sequence[str], budget: PromptBudget | None) -> str:
    """`required` (which must fit whole) after the last pieces of `earlier` that fit with it.

    `earlier` is in prompt order; pieces are kept from the end, and once one does not fit, it and
    everything before it are left out, so what the model reads is an unbroken end of the conversation.
    New kinds of context (such as the text on the image) join as pieces of `earlier` or of `required`.
    """
    if budget is not None and not budget.fits(required):
        words = max(
            1, int((budget.tokens - budget.count(QUESTION_TEMPLATE.format(question=""))) * WORDS_PER_TOKEN)
        )
        raise PromptTooLong(f"The question is too long for this model; shorten it to about {words} words.")
    kept: list[str] = []
    for piece in reversed(earlier):
        candidate = " ".join([piece, *kept, required])
        if budget is not None and not budget.fits(candidate):
            break
        kept.insert(0, piece)
    return " ".join([*kept, required])


def _one_line(text: str) -> str:
    return " ".join(text.split())
