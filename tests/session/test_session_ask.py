"""Questions about the last picture: asked with its text once read (up to a deadline on the clock),
with the turns so far; a new picture starts a new conversation."""

from __future__ import annotations

from session_fakes import describe_screen, make_session, text_picture

from assistant.engine.base import Turn
from assistant.session import Conversation
from assistant.session import image_text as image_text_module


def described(**settings: object):
    session, app, clock = make_session(**settings)
    request = describe_screen(session, app)
    session.on_text(request.id, "A dialog. It")
    session.on_finished(request.id, "A dialog.")
    return session, app, clock, request


def test_asking_before_any_picture_says_how_to_get_one() -> None:
    session, app, _clock = make_session()
    assert session.ask("What is it?") is None
    assert app.failures == ["There is no image yet. Describe the screen first, with Control Alt D."]


def test_a_question_waits_for_the_text_on_the_picture_and_is_asked_with_it() -> None:
    session, app, _clock, described_request = described()
    question = session.ask("What does the error say?")
    assert question is not None and app.requests == [described_request]  # waits for the text
    session.on_text_read(described_request.id, ["Disk full"])
    assert app.requests[-1] is question and list(question.text_on_image) == ["Disk full"]
    assert question.source is session.conversation.image


def test_a_question_is_asked_without_the_text_once_the_deadline_passes() -> None:
    session, app, clock, described_request = described()
    question = session.ask("What is it?")
    clock.advance(image_text_module.WAIT_S - 0.1)
    assert app.requests == [described_request]
    clock.advance(0.1)
    assert app.requests[-1] is question and list(question.text_on_image) == []
    session.on_text_read(described_request.id, ["Late"])  # shown, and nothing asked again
    assert app.requests[-1] is question and session.image_text.lines == ["Late"]


def test_stop_while_a_question_waits_for_the_text_asks_nothing() -> None:
    session, app, clock, described_request = described()
    question = session.ask("What is it?")
    session.stop()
    assert question is not None and question.cancel.is_set()
    clock.advance(60)
    session.on_text_read(described_request.id, ["Disk full"])
    assert app.requests == [described_request]


def test_answers_become_the_conversation_and_a_new_picture_starts_another() -> None:
    session, app, _clock, described_request = described()
    session.on_text_read(described_request.id, [])
    first = session.ask("What is it?")
    assert first is not None and list(first.history) == []
    session.on_text(first.id, "A save dialog.")
    session.on_finished(first.id, "A save dialog.")
    assert app.answers == ["A save dialog."] and app.said[-1] == "A save dialog."
    second = session.ask("Which button is default?")
    assert second is not None and list(second.history) == [Turn("What is it?", "A save dialog.")]
    session.on_failed(second.id, "The model ran out of memory. Close other programs.")
    assert app.dialog[-1] == "failed: The model ran out of memory. Close other programs."
    assert len(session.conversation.turns) == 1
    again = describe_screen(session, app, text_picture("Other"))
    session.on_finished(again.id, "Another window.")
    assert session.conversation.turns == [] and session.conversation.description == "Another window."


def test_an_empty_answer_is_said_as_such() -> None:
    session, app, _clock, described_request = described()
    session.on_text_read(described_request.id, [])
    question = session.ask("What is it?")
    assert question is not None
    session.on_finished(question.id, "  ")
    assert app.said[-1] == "The model gave no answer."


def test_a_cancelled_question_clears_the_dialog_status() -> None:
    session, app, _clock, described_request = described()
    session.on_text_read(described_request.id, [])
    question = session.ask("What is it?")
    assert question is not None
    session.stop()
    session.on_cancelled(question.id)
    assert app.dialog[-1] == "cancelled"


def test_the_conversation_asks_with_its_turns_and_text() -> None:
    picture = text_picture()
    conversation = Conversation(picture, turns=[Turn("Q1", "A1")])
    request = conversation.question("Q2", ["line"])
    assert request.kind == "ask" and request.source is picture
    assert list(request.history) == [Turn("Q1", "A1")] and list(request.text_on_image) == ["line"]
    conversation.answered("Q2", "A2")
    assert conversation.turns[-1] == Turn("Q2", "A2") and list(request.history) == [Turn("Q1", "A1")]
