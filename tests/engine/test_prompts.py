"""Every prompt BLIP-2 sees, as exact strings."""

from __future__ import annotations

import pytest

from assistant.engine.base import Turn
from assistant.engine.prompts import MAX_HISTORY_TURNS, description_prompt, question_prompt


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
