"""A description cut short (Stop, or new work) leaves its picture the one questions are about: the newest
picture taken, never an older one, and never "There is no image yet"."""

from __future__ import annotations

from session_fakes import describe_screen, make_session, take, text_picture

NOT_READ = "The text on it is read when you ask about it."


def test_stop_during_a_description_keeps_its_picture_to_ask_about() -> None:
    session, app, _clock = make_session()
    request = describe_screen(session, app, text_picture("Disk full"))
    session.on_text(request.id, "An error dialog. It says")
    assert app.reads == [(request.id, request.image)]  # the text is read along with the first sentence
    session.stop()
    assert session.conversation.image is request.image
    assert session.conversation.description == "An error dialog."  # what was said of it
    assert app.dialog == ["picture: An error dialog."]  # the dialog's Ask works on it
    question = session.ask("What does the error say?")
    assert app.failures == [] and question is not None and question.source is request.image
    session.on_text_read(request.id, ["Disk full"])  # the read under way when Stop came is kept
    assert app.requests[-1] is question and list(question.text_on_image) == ["Disk full"]
    assert list(question.history) == []


def test_stop_before_the_first_sentence_reads_the_text_once_asked() -> None:
    session, app, _clock = make_session()
    request = describe_screen(session, app)
    session.stop()
    assert app.reads == [] and session.conversation.image is request.image
    assert app.text_shown[-1] == ([], NOT_READ)  # the dialog's "Text on it" says why there is none
    question = session.ask("What is it?")
    assert question is not None and app.reads == [(request.id, request.image)]
    assert app.requests == [request]  # the question waits for the text, as after a finished description
    session.on_text_read(request.id, ["Hello"])
    assert app.requests[-1] is question and list(question.text_on_image) == ["Hello"]
    again = session.ask("And then?")  # read once only
    assert again is not None and app.reads == [(request.id, request.image)]


def test_stop_without_reading_text_asks_at_once() -> None:
    session, app, _clock = make_session(read_text_on_images=False)
    request = describe_screen(session, app)
    session.stop()
    question = session.ask("What is it?")
    assert question is not None and app.requests[-1] is question and app.reads == []
    assert question.source is request.image


def test_stop_while_the_model_loads_keeps_the_picture_taken() -> None:
    # The model thread has not taken the request yet, so it has not handed back its picture.
    session, app, _clock = make_session()
    app.model_loading = True
    screen = text_picture("Loading")
    app.screen = screen
    session.describe_screen()
    take(session, app)
    session.stop()
    assert session.conversation.image is screen and app.failures == []


def test_stop_during_the_capture_keeps_the_last_picture() -> None:
    session, app, _clock = make_session()
    first = describe_screen(session, app, text_picture("First"))
    session.on_finished(first.id, "The first window.")
    session.describe_screen()
    session.stop()  # no new picture was taken
    assert session.conversation.image is first.image
    assert session.conversation.description == "The first window."


def test_new_work_keeps_the_newest_picture_taken() -> None:
    session, app, _clock = make_session()
    first = describe_screen(session, app, text_picture("First"))
    session.on_finished(first.id, "The first window.")
    second = describe_screen(session, app, text_picture("Second"))
    session.describe_screen()  # cuts the second description short; its picture is the newest
    assert second.cancel.is_set() and session.conversation.image is second.image
    session.on_refused(app.jobs[-1].id, "The screen is blank: all white.")
    question = session.ask("What was on it?")
    assert question is not None and question.source is second.image
    session.on_finished(second.id, "Too late.")  # the cut description's answer changes nothing
    assert session.conversation.image is second.image and session.conversation.description == ""
    third = describe_screen(session, app, text_picture("Third"))
    session.stop()
    assert session.conversation.image is third.image


def test_a_question_during_a_description_is_about_its_picture() -> None:
    session, app, _clock = make_session(read_text_on_images=False)
    first = describe_screen(session, app, text_picture("First"))
    session.on_finished(first.id, "The first window.")
    second = describe_screen(session, app, text_picture("Second"))
    question = session.ask("What is it?")
    assert second.cancel.is_set() and question is not None and question.source is second.image
    assert app.requests[-1] is question
