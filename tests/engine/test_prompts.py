"""Every prompt BLIP-2 sees, as exact strings."""

from __future__ import annotations

import pytest

from assistant.engine.base import Turn
from assistant.engine.prompts import (
    MAX_HISTORY_TURNS,
    PromptBudget,
    PromptTooLong,
    description_prompt,
    question_prompt,
)


def test_brief_description_has_no_prompt() -> None:
    # BLIP-2 was trained to caption from the image alone.
    assert description_prompt("brief") == ""


def test_detailed_description_prompt() -> None:
    assert description_prompt("detailed") == "Question: Describe this picture in detail. Answer:"


def test_unknown_detail_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown detail"):
        description_prompt("medium")  # type: ignore[arg-type]


def test_question_without_history() -> None:
    assert question_prompt("What colour is the car?") == "Question: What colour is the car? Answer:"


def test_question_after_one_turn() -> None:
    history = [Turn("What colour is the car?", "Red.")]
    assert question_prompt("Where is it parked?", history) == (
        "Question: What colour is the car? Answer: Red. Question: Where is it parked? Answer:"
    )


def test_history_is_capped_at_the_most_recent_turns() -> None:
    assert MAX_HISTORY_TURNS == 4
    history = [Turn(f"Question number {n}?", f"Answer {n}") for n in range(1, 6)]
    assert question_prompt("And now?", history) == (
        "Question: Question number 2? Answer: Answer 2. "
        "Question: Question number 3? Answer: Answer 3. "
        "Question: Question number 4? Answer: Answer 4. "
        "Question: Question number 5? Answer: Answer 5. "
        "Question: And now? Answer:"
    )


def test_history_may_be_any_sequence() -> None:
    history = (Turn("Is it day?", "yes"),)
    assert (
        question_prompt("Is it sunny?", history)
        == "Question: Is it day? Answer: yes. Question: Is it sunny? Answer:"
    )


def test_whitespace_is_normalised() -> None:
    history = [Turn("  what   is\n\tthis? ", "  a red\n car  ")]
    assert question_prompt("\n  and   that?\t", history) == (
        "Question: what is this? Answer: a red car. Question: and that? Answer:"
    )


@pytest.mark.parametrize(
    "answer", ["A red car", "A red car.", "A red car!", "A red car?", "A red car. ", "A red car..."]
)
def test_answers_end_with_exactly_one_full_stop(answer: str) -> None:
    assert question_prompt("Next?", [Turn("What is it?", answer)]) == (
        "Question: What is it? Answer: A red car. Question: Next? Answer:"
    )


def words(budget: int) -> PromptBudget:
    """A budget counted in words, so the expected prompts can be worked out by eye."""
    return PromptBudget(budget, lambda prompt: len(prompt.split()))


HISTORY = [Turn("Is it red?", "Yes"), Turn("Is it big?", "No"), Turn("Is it a car?", "Yes")]


def test_a_roomy_budget_keeps_everything() -> None:
    assert question_prompt("And now?", HISTORY, words(1000)) == question_prompt("And now?", HISTORY)


def test_the_oldest_turns_are_dropped_first() -> None:
    # The question is 5 words, the newest turns 7 and 6: room for those, not for the oldest.
    assert question_prompt("Where is it?", HISTORY, words(5 + 7 + 6)) == (
        "Question: Is it big? Answer: No. Question: Is it a car? Answer: Yes. Question: Where is it? Answer:"
    )


def test_a_turn_that_does_not_fit_ends_the_history_there() -> None:
    history = [Turn("Is it red?", "Yes"), Turn("Describe it.", "word " * 500), Turn("Is it big?", "No")]
    # The short oldest turn would fit, but not without the long one between: it is left out too.
    assert question_prompt("Where is it?", history, words(30)) == (
        "Question: Is it big? Answer: No. Question: Where is it? Answer:"
    )


def test_a_question_that_fits_alone_is_asked_alone() -> None:
    assert question_prompt("Where is it?", HISTORY, words(5)) == "Question: Where is it? Answer:"


def test_a_question_that_does_not_fit_is_one_sentence() -> None:
    with pytest.raises(PromptTooLong) as refused:
        question_prompt("why " * 100, HISTORY, words(50))
    message = str(refused.value)
    assert message == "The question is too long for this model; shorten it to about 36 words."
