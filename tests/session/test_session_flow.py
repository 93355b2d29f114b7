"""The app's flow from key to last word, driven by events and a clock moved by hand: no Qt, no sleeps."""

from __future__ import annotations

import subprocess
import sys

from session_fakes import describe_screen, make_session, take, text_picture

from assistant.session import STILL_LOADING, Captured
from assistant.session import image_text as image_text_module

WORDS = [f"word{n}" for n in range(1, 13)]


def test_the_session_imports_no_qt() -> None:
    code = "import sys, assistant.session; print('PySide6' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_a_description_is_said_sentence_by_sentence_and_its_text_follows_the_gist() -> None:
    session, app, _clock = make_session()
    request = describe_screen(session, app)
    assert request.kind == "describe" and app.cues == ["working"]
    assert app.reads == []  # the text is not read before the gist's first sentence is said
    session.on_text(request.id, "A window. It has")
    assert app.said == ["A window."]
    assert [number for number, _ in app.reads] == [request.id]
    session.on_text_read(request.id, ["Save changes?"])
    assert app.said == ["A window."]  # the text waits for the gist to end
    session.on_finished(request.id, "A window. It has two buttons.")
    assert app.said == ["A window.", "It has two buttons.", "Text on it: Save changes?"]
    assert session.current is None
    assert session.conversation.image is request.image
    assert session.conversation.description == "A window. It has two buttons."
    assert session.image_text.lines == ["Save changes?"] and not session.image_text.reading
    assert app.statuses[-1] == "Ready. Last: A window. It has two buttons."


def test_text_read_after_the_gist_is_said_at_once_and_only_once() -> None:
    session, app, _clock = make_session()
    request = describe_screen(session, app)
    session.on_finished(request.id, "A page.")
    assert app.said == ["A page."]
    session.on_text_read(request.id, ["Invoice"])
    session.on_text_read(request.id, ["Invoice"])
    assert app.said == ["A page.", "Text on it: Invoice."]


def test_without_speech_the_whole_answer_is_shown_once_finished() -> None:
    session, app, _clock = make_session()
    app.speaking = False
    request = describe_screen(session, app)
    session.on_text(request.id, "A window. It has")
    assert app.said == []
    session.on_finished(request.id, "A window. It has a button.")
    assert app.said == ["A window. It has a button."]


def test_a_request_made_while_the_model_loads_says_so() -> None:
    session, app, _clock = make_session()
    app.model_loading = True
    describe_screen(session, app)
    assert STILL_LOADING in app.said


def test_a_refused_picture_is_said_and_not_described() -> None:
    session, app, _clock = make_session()
    session.describe_screen()
    session.on_refused(app.jobs[-1].id, "The screen is blank: all black.")
    assert app.said == ["The screen is blank: all black."] and app.requests == []
    assert session.capture_job is None


def test_a_failed_capture_is_a_failure() -> None:
    session, app, _clock = make_session()
    session.describe_screen()
    session.on_capture_failed(app.jobs[-1].id, "The screen could not be captured.")
    assert app.failures == ["The screen could not be captured."] and app.requests == []


def test_answers_to_stopped_or_replaced_work_are_dropped() -> None:
    session, app, _clock = make_session()
    session.describe_screen()
    old = app.jobs[-1]
    session.stop()
    session.on_captured(old.id, old.grab())
    assert app.requests == [] and app.statuses[-1] == "Stopped."
    request = describe_screen(session, app)
    session.read_text(lambda: Captured(text_picture()))
    assert request.cancel.is_set()  # new work cancels the description under way
    session.on_text(request.id, "A window. It")
    session.on_finished(request.id, "A window.")
    assert app.said == []


def test_a_new_capture_waits_for_the_dialog_to_leave_the_screen() -> None:
    session, app, clock = make_session()
    session.new_capture()
    assert app.dialog == ["hidden"] and app.jobs == []
    clock.advance(0.29)
    assert app.jobs == []
    clock.advance(0.01)
    assert len(app.jobs) == 1 and app.dialog == ["hidden"]
    take(session, app)
    assert app.dialog == ["hidden", "shown"]  # back once the picture is taken, before the description
    assert len(app.requests) == 1


def test_stop_during_a_new_capture_brings_the_dialog_back_and_takes_no_picture() -> None:
    session, app, clock = make_session()
    session.new_capture()
    session.stop()
    assert app.dialog == ["hidden", "shown"]
    clock.advance(10)
    assert app.jobs == [] and app.requests == []


def test_a_blank_new_capture_brings_the_dialog_back() -> None:
    session, app, clock = make_session()
    session.new_capture()
    clock.advance(0.3)
    session.on_refused(app.jobs[-1].id, "The screen is blank: all white.")
    assert app.dialog == ["hidden", "shown"]


def test_long_text_stops_at_the_word_limit_and_read_all_text_says_the_rest() -> None:
    session, app, _clock = make_session(text_word_limit=5)
    request = describe_screen(session, app)
    session.on_text(request.id, "A letter. The")
    session.on_text_read(request.id, [" ".join(WORDS)])
    session.on_finished(request.id, "A letter.")
    assert app.said[-1] == (
        "Text on it: word1 word2 word3 word4 word5. … 7 more words; press Control Alt E to hear them."
    )
    session.read_all_text()
    assert app.said[-1] == " ".join(WORDS[5:]) + "."
    session.read_all_text()
    assert app.said[-1] == "There is no more text."


def test_read_all_text_pressed_during_a_description_reads_its_text_whole() -> None:
    session, app, _clock = make_session(text_word_limit=5)
    request = describe_screen(session, app)
    session.on_text(request.id, "A letter. The")
    session.read_all_text()
    assert app.statuses[-1] == "The whole text will be read."
    session.on_text_read(request.id, [" ".join(WORDS)])
    session.on_finished(request.id, "A letter.")
    assert app.said[-1] == "Text on it: " + " ".join(WORDS) + "."


def test_read_all_text_with_reading_turned_off_says_how_to_turn_it_on() -> None:
    session, app, _clock = make_session(read_text_on_images=False)
    request = describe_screen(session, app)
    session.on_finished(request.id, "A letter.")
    assert app.reads == []
    session.read_all_text()
    assert app.said[-1] == image_text_module.OFF
    assert session.image_text.note == image_text_module.OFF


def test_read_all_text_before_any_text_says_what_to_do() -> None:
    session, app, _clock = make_session()
    session.read_all_text()
    assert app.said == ["No text has been read yet; press Control Alt T or describe something first."]


def test_read_the_text_says_the_window_text_whole_and_makes_it_the_picture_asked_about() -> None:
    session, app, _clock = make_session(text_word_limit=2)
    window = text_picture("Bravo")
    session.read_text(lambda: Captured(window, title="Editor", what="window"))
    job = app.jobs[-1]
    take(session, app)
    assert app.said == ["Editor"] and app.reads == [(job.id, window)]
    assert session.conversation.image is window and session.image_text.reading
    session.on_text_read(job.id, ["Bravo invoice number seven"])
    assert app.said[-1] == "Text on it: Bravo invoice number seven."
    assert session.image_text.lines == ["Bravo invoice number seven"]
    assert app.statuses[-1] == "Ready. 4 words read."
    assert session.capture_job is None


def test_read_the_text_of_a_window_without_text_says_so() -> None:
    session, app, _clock = make_session()
    session.read_text(lambda: Captured(text_picture()))
    take(session, app)
    session.on_text_read(app.jobs[-1].id, [])
    assert app.said[-1] == "No text was found in the window."


def test_read_the_text_failing_is_a_failure() -> None:
    session, app, _clock = make_session()
    session.read_text(lambda: Captured(text_picture()))
    take(session, app)
    session.on_text_failed(app.jobs[-1].id, "Text could not be read. Install Tesseract.")
    assert app.failures == ["Text could not be read. Install Tesseract."]


def test_describe_region_captures_then_lets_the_user_choose_once() -> None:
    session, app, _clock = make_session()
    assert session.describe_region(app.screen_grab())
    assert not session.describe_region(app.screen_grab())  # its picture is being taken
    take(session, app)
    assert len(app.regions) == 1 and app.requests == []
    assert not session.describe_region(app.screen_grab())  # a region is being chosen
    session.region_chosen(text_picture("Region"))
    take(session, app)
    assert len(app.requests) == 1 and app.jobs[-1].of_screen is False
    assert session.describe_region(app.screen_grab())
    take(session, app)
    session.region_cancelled()
    assert app.said[-1] == "Cancelled."
