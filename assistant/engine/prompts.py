"""Every prompt the engine sends to BLIP-2, in one place.

BLIP-2 was trained on captions (no prompt) and on "Question: … Answer:" pairs; a conversation is the
earlier turns, each "Question: q Answer: a.", followed by the new question.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.engine.base import Detail, Turn

BRIEF_PROMPT = ""
DETAILED_PROMPT = "Question: Describe this picture in detail. Answer:"
TURN_TEMPLATE = "Question: {question} Answer: {answer}."
QUESTION_TEMPLATE = "Question: {question} Answer:"
MAX_HISTORY_TURNS = 4

# Generation lengths, in tokens.
MAX_NEW_TOKENS = {"brief": 30, "detailed": 80, "answer": 40}


def description_prompt(detail: Detail) -> str:
    if detail == "brief":
        return BRIEF_PROMPT
    if detail == "detailed":
        return DETAILED_PROMPT
    raise ValueError(f"unknown detail {detail!r}")


def question_prompt(question: str, history: Sequence[Turn] = ()) -> str:
    """The prompt for `question`, after the most recent turns of the conversation."""
    question = " ".join(question.split())
    turns = [
        TURN_TEMPLATE.format(
            question=" ".join(t.question.split()), answer=" ".join(t.answer.split()).rstrip(".!? ")
        )
        for t in list(history)[-MAX_HISTORY_TURNS:]
    ]
    return " ".join([*turns, QUESTION_TEMPLATE.format(question=question)])
