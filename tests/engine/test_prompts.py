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
    text_piece,
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


ERROR_TEXT = ["Save failed", "The disk is full: free some space and try again.", "OK   Cancel"]


def test_the_text_on_the_image_comes_before_the_question() -> None:
    assert question_prompt("What does the error say?", text_on_image=ERROR_TEXT) == (
        "Text on the image: Save failed. The disk is full: free some space and try again. OK Cancel. "
        "Question: What does the error say? Answer:"
    )


def test_the_text_opens_the_prompt_before_the_conversation() -> None:
    history = [Turn("What is this?", "A dialog box")]
    assert question_prompt("What should I press?", history, text_on_image=["Delete it?", "Yes No"]) == (
        "Text on the image: Delete it? Yes No. "
        "Question: What is this? Answer: A dialog box. Question: What should I press? Answer:"
    )


@pytest.mark.parametrize("lines", [[], [""], ["  ", "\n"]])
def test_no_text_leaves_the_prompt_as_it_was(lines: list[str]) -> None:
    assert question_prompt("Is it red?", HISTORY, text_on_image=lines) == question_prompt(
        "Is it red?", HISTORY
    )
    assert text_piece(lines) == ""


def test_huge_text_is_cut_at_a_word_and_the_question_kept_whole() -> None:
    lines = [f"line {n} of the long document" for n in range(10_000)]
    prompt = question_prompt("What is on line 3?", HISTORY, words(100), text_on_image=lines)
    assert prompt.startswith("Text on the image: line 0 of the long document. line 1 of the long document.")
    assert prompt.endswith(" … Question: What is on line 3? Answer:")
    assert len(prompt.split()) == 100  # every word of room is used
    assert "Answer: Yes." not in prompt  # the earlier turns gave way to the text


def test_the_text_takes_its_room_before_the_earlier_turns() -> None:
    # The text with its label is 6 words, the question 5; the newest turn (7) does not fit as well.
    prompt = question_prompt("Where is it?", HISTORY, words(6 + 5 + 6), text_on_image=["Exit here"])
    assert prompt == "Text on the image: Exit here. Question: Where is it? Answer:"
    # With room for the newest turn as well, it joins between the text and the question.
    prompt = question_prompt("Where is it?", HISTORY, words(6 + 5 + 7), text_on_image=["Exit here"])
    assert prompt == (
        "Text on the image: Exit here. Question: Is it a car? Answer: Yes. Question: Where is it? Answer:"
    )


def test_a_question_with_no_room_for_the_text_is_asked_without_it() -> None:
    assert question_prompt("Where is it?", (), words(5), text_on_image=ERROR_TEXT) == (
        "Question: Where is it? Answer:"
    )


def test_a_question_too_long_with_text_is_still_one_sentence() -> None:
    with pytest.raises(PromptTooLong, match="shorten it to about 36 words"):
        question_prompt("why " * 100, HISTORY, words(50), text_on_image=ERROR_TEXT)
