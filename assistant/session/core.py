"""One request from key to last word, as plain code: no Qt, no threads, no sleeps.

The session starts work (`describe_screen`, `read_text`, `ask`, …) by handing it to `Outside` (the capture,
model and OCR threads; the windows), and moves on when those answer through its `on_…` events, each
naming the job or request it is about, so an answer to work already replaced or stopped is dropped.
Waiting is done with the `Clock`. The flow: lock check, capture and blank check (capture thread) →
describe (model thread), each sentence said as it is complete → the text on the picture (OCR thread)
said after the gist, up to the word limit ("Read all the text" says the rest) → questions about the
last picture, asked with its text. Stop or new work cancels what runs and hushes what is said; a
description cut short leaves its picture the one questions are about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PIL import Image

from assistant.actions import how_to_press, how_to_run
from assistant.config import Settings
from assistant.engine.base import Detail
from assistant.i18n import N_, _, ngettext, pgettext
from assistant.session.clock import Clock, Timer
from assistant.session.conversation import Conversation
from assistant.session.image_text import NOT_READ, ImageText
from assistant.session.image_text import OFF as TEXT_READING_OFF
from assistant.session.ports import Dialog, Outside, Teller
from assistant.session.text import TextAfterGist
from assistant.session.work import Captured, CaptureJob, Grab, ImageSource, Request
from assistant.speech.sentences import SentenceStream

log = logging.getLogger(__name__)

# Said in the user's language where it is said: _(STILL_LOADING).
STILL_LOADING = N_("Loading the model, one moment.")
# A picture of the screen taken while the dialog is on it waits for the hidden dialog to leave the
# screen ("New capture", the capture keys); Stop cancels the wait.
NEW_CAPTURE_DELAY_S = 0.3


class Session:
    """The app's flow. Call it on one thread only (the app's Qt thread); `Outside` answers there too."""

    def __init__(
        self, settings: Settings, teller: Teller, outside: Outside, dialog: Dialog, clock: Clock
    ) -> None:
        self.settings = settings
        self.teller = teller
        self.outside = outside
        self.dialog = dialog
        self.clock = clock
        self.current: Request | None = None
        self.stream: SentenceStream | None = None
        self.said: list[str] = []  # the sentences of the current request said so far
        self.conversation = Conversation()
        self.capture_job: CaptureJob | None = None  # the picture being taken, or its window's text read
        self.capture_kind = ""  # what follows it: "describe", "choose-region" or "read-text"
        self.choosing_region = False
        self.show_dialog_after = False  # the dialog was hidden for a new capture, to come back after it
        self._new_capture: Timer | None = None  # the wait for the hidden dialog to leave the screen
        self._waiting_for = ""  # what that wait is for: "describe" or "choose-region"
        self.text = TextAfterGist(teller.say, outside.read_text_on)
        # The text on the last image: what its questions are asked with and the dialog's "Text on it" shows.
        self.image_text = ImageText(clock, self._show_text_in_dialog)
        # A description cut short before its text was read: the text is read when it is asked about.
        self._text_unread: Request | None = None

    # -- starting work ----------------------------------------------------------------------
    def _start_work(self, what: str) -> None:
        """Cut off what is running and said, and give the cue that new work has started."""
        self._cancel_current()
        self.capture_job = None
        self.text.drop()
        self.image_text.stop_waiting()
        self.teller.hush()
        self.outside.play("working")
        self.teller.set_status(what)

    def _cancel_current(self) -> None:
        """Cancel the request under way. A description cut short leaves its picture the one questions are
        about: the user has heard of it, and it is the newest taken."""
        request, self.current = self.current, None
        if request is None:
            return
        request.cancel.set()
        if request.kind != "describe" or request.image is None:
            return
        reading = self.text.reading_along(request.id)
        self._new_picture(request.image, " ".join(self.said))
        if reading or not self.settings.read_text_on_images:
            self.image_text.expect(request.id if reading else None)
        else:
            self._text_unread = request  # not read now: new work would wait for the processor
            self.image_text.expect(None, NOT_READ)
        self._show_picture(request.image, self.conversation.description)

    def _submit(self, request: Request) -> None:
        self.current = request
        self.stream = SentenceStream()
        self.said = []
        if self.outside.model_loading:  # the model thread takes the request as soon as the model is ready
            self.teller.say(_(STILL_LOADING))
        self.outside.submit(request)

    def describe(self, source: ImageSource, what: str = "") -> Request:
        """Describe `source` (an image, or a callable that makes one on the model thread) with the model.

        The actions come here once the capture thread has taken the picture and found it neither locked
        away nor blank. `what` is the status line ("Describing…" where none is given)."""
        self._start_work(what or _("Describing…"))
        return self._describe(source)

    def _describe(self, source: ImageSource) -> Request:
        self.text.new_picture(read=self.settings.read_text_on_images)
        detail: Detail = "detailed" if self.settings.detail == "detailed" else "brief"
        request = Request("describe", source, detail=detail)
        if isinstance(source, Image.Image):
            request.image = source  # kept if it is cut short before the model thread takes it
        self._submit(request)
        return request

    def _capture(self, kind: str, grab: Grab, of_screen: bool = True) -> None:
        """Take a picture on the capture thread: not while the session is locked (`of_screen`), and a blank
        one is named, not described. Then `kind` says what follows."""
        self.capture_job, self.capture_kind = CaptureJob(grab, of_screen), kind
        self.outside.capture(self.capture_job)

    def describe_screen(self) -> None:
        self._out_of_the_picture(self._describe_screen)

    def _describe_screen(self) -> None:
        # Translators: status lines, shown in the window and read by the screen reader on request.
        self._start_work(_("Describing the screen…"))
        self._capture("describe", self.outside.screen_grab())

    def describe_picture(self, what: str, grab: Grab, of_screen: bool = False) -> None:
        """Describe the picture `grab` takes (a window, the clipboard's image, a file), `what` shown; one
        `of_screen` (the focused window) is taken with the dialog out of the way."""
        if of_screen:
            self._out_of_the_picture(lambda: self._describe_picture(what, grab, of_screen))
        else:
            self._describe_picture(what, grab, of_screen)

    def _describe_picture(self, what: str, grab: Grab, of_screen: bool) -> None:
        self._start_work(what)
        self._capture("describe", grab, of_screen)

    def read_text(self, grab: Grab) -> None:
        """Read the text of the picture `grab` takes (the focused window) aloud, without the model."""
        self._out_of_the_picture(lambda: self._read_text(grab))

    def _read_text(self, grab: Grab) -> None:
        self._start_work(_("Reading the text…"))
        self._capture("read-text", grab)

    def describe_region(self, grab: Grab) -> bool:
        """Capture the screen (not while locked, nor when blank), then let the user choose a region of it;
        False where a region is being chosen already."""
        if (
            self.choosing_region
            or self._waiting_for == "choose-region"
            or (self.capture_job is not None and self.capture_kind == "choose-region")
        ):
            return False
        self._out_of_the_picture(lambda: self._capture_for_region(grab), "choose-region")
        return True

    def _capture_for_region(self, grab: Grab) -> None:
        self.teller.hush()
        self.teller.set_status(_("Capturing the screen…"))
        self._capture("choose-region", grab)

    def region_chosen(self, image: Image.Image) -> None:
        self.choosing_region = False
        self.describe_picture(_("Describing the region…"), lambda: Captured(image, what="region"))

    def region_cancelled(self) -> None:
        self.choosing_region = False
        self._reopen_dialog()  # hidden for the screenshot the region was to be chosen on
        self.teller.hush()
        self.teller.set_status(_("Region cancelled."))
        # Translators: said when the user cancels choosing a region.
        self.teller.say(pgettext("spoken", "Cancelled."), interrupt=True)

    def new_capture(self) -> None:
        """Hide the dialog so it is not in the picture, then describe the screen; the dialog comes back
        once the picture is taken (or refused, or failed)."""
        self._hide_then(self._describe_screen, "describe")

    def _out_of_the_picture(self, take: Callable[[], None], kind: str = "describe") -> None:
        """Start `take`, a picture of the screen, at once; or, where the dialog is on the screen, as
        "New capture" does: once the hidden dialog has left it (the focused window is then the one under
        it). The dialog comes back once the picture is taken (or refused, or failed)."""
        if self.dialog.dialog_visible:
            self._hide_then(take, kind)
            return
        self._cancel_wait()  # this picture replaces the one waited for; a dialog hidden for it comes back after
        take()

    def _hide_then(self, take: Callable[[], None], kind: str) -> None:
        self.dialog.hide_dialog()
        self.show_dialog_after = True
        self._cancel_wait()
        self._waiting_for = kind
        self._new_capture = self.clock.call_later(NEW_CAPTURE_DELAY_S, lambda: self._wait_over(take))

    def _wait_over(self, take: Callable[[], None]) -> None:
        self._new_capture, self._waiting_for = None, ""
        take()

    def _cancel_wait(self) -> None:
        if self._new_capture is not None:
            self._new_capture.cancel()
        self._new_capture, self._waiting_for = None, ""

    def ask(self, question: str) -> Request | None:
        """Ask about the last image, with the text on it once read; the answer is said and added to the
        conversation."""
        if self.current is not None and self.current.kind == "describe" and self.current.image is not None:
            self._cancel_current()  # the question is about the picture being described
        if self.conversation.image is None:
            self.teller.fail(self.no_image_message())
            return None
        request = self.conversation.question(question)
        self._start_work(_("Thinking about your question…"))
        if (unread := self._text_unread) is not None and unread.image is not None:
            self._text_unread = None
            self.outside.read_text_on(unread.id, unread.image)
            self.image_text.expect(unread.id)
        self.current = request  # stop and new work cancel it while it waits for the text on the image
        self.image_text.when_ready(lambda lines: self._ask_with_text(request, lines))
        return request

    def _ask_with_text(self, request: Request, lines: Sequence[str]) -> None:
        if request.cancel.is_set():
            return
        request.text_on_image = tuple(lines)
        self._submit(request)

    def no_image_message(self) -> str:
        how = how_to_run("describe-screen", self.settings.hotkeys)
        # Translators: {how} is "with Control Alt D" or "from the Assistant menu or window".
        return _("There is no image yet. Describe the screen first, {how}.").format(how=how)

    def read_all_text(self) -> None:
        """Say the rest of the last picture's text, from where the word limit cut it."""
        from assistant.ocr import rest_to_speak, words_in

        describing = self.current is not None and self.current.kind == "describe"
        if (describing or self.capture_job is not None or self.text.awaited) and not self.text.not_read:
            self.text.read_whole()  # its text is yet to come: it comes whole
            self.teller.set_status(_("The whole text will be read."))
            return
        if self.text.not_read:
            message = _(TEXT_READING_OFF)
        elif (rest := self.text.take_rest()) is None:
            how = how_to_press("read-text", self.settings.hotkeys)
            # Translators: {how} is "press Control Alt T" or "choose Read the text in the Assistant menu or window".
            message = _("No text has been read yet; {how} or describe something first.").format(how=how)
        elif not rest:
            message = _("There is no more text.")
        else:
            self._start_work(_("Reading the rest of the text…"))
            self.teller.say(rest_to_speak(rest), interrupt=True)
            count = words_in(rest)
            self.teller.set_status(
                ngettext("Ready. {count} more word read.", "Ready. {count} more words read.", count).format(
                    count=count
                )
            )
            return
        self.teller.set_status(message)
        self.teller.say(message, interrupt=True)

    # -- stopping ---------------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel what runs or waits, and say nothing more of it."""
        self._cancel_wait()
        self._reopen_dialog()  # hidden for a new capture that is not taken now
        self._cancel_current()
        self.capture_job = None
        self.text.drop()
        self.image_text.stop_waiting()
        self.teller.hush()
        self.teller.set_status(_("Stopped."))

    def quit(self) -> None:
        self.show_dialog_after = False  # nothing to come back to
        self.stop()

    def _reopen_dialog(self) -> None:
        """A new capture asked for from the dialog ended without a description: the dialog comes back."""
        if self.show_dialog_after:
            self.show_dialog_after = False
            self.dialog.show_dialog()

    # -- the capture thread's answers -------------------------------------------------------
    def _is_capture(self, job_id: int) -> bool:
        return self.capture_job is not None and self.capture_job.id == job_id

    def on_captured(self, job_id: int, captured: Captured) -> None:
        if not self._is_capture(job_id):
            return
        self.teller.say(captured.notice)
        self.teller.say(captured.title)
        if self.capture_kind == "read-text":
            self._reopen_dialog()  # hidden for the picture, which is taken
            # The window read is the picture questions are about now: a new conversation, with its text.
            self._new_picture(captured.image, "")
            self.text.new_picture()
            self.text.read(job_id, captured.image)
            self.image_text.expect(job_id)
            self._show_picture(captured.image, "")
            return
        self.capture_job = None
        if self.capture_kind == "choose-region":
            self.choosing_region = True
            self.teller.set_status(_("Choosing a region…"))
            self.outside.choose_region(captured.image)
        else:
            # The dialog hidden for the picture comes back now, not after the description: a screen
            # reader speaks the window taking the focus and cuts off what it was saying (Orca does,
            # and the description handed to it would go with it).
            self._reopen_dialog()
            self._describe(captured.image)

    def on_refused(self, job_id: int, message: str) -> None:
        """The screen is locked or the picture blank: said, and nothing is kept or described."""
        if self._is_capture(job_id):
            self.capture_job = None
            self.teller.tell(message)
            self._reopen_dialog()

    def on_capture_failed(self, job_id: int, message: str) -> None:
        if self._is_capture(job_id):
            self.capture_job = None
            self.teller.fail(message)
            self._reopen_dialog()

    # -- the OCR thread's answers -----------------------------------------------------------
    def on_text_read(self, number: int, lines: list[str]) -> None:
        self.text.on_read(number, lines)
        if self._is_capture(number):  # "Read the text": the window's text, said whole
            from assistant.ocr import text_to_speak

            self.capture_job = None
            self.text.all_said(lines)
            self.teller.say(text_to_speak(lines, None) if lines else _("No text was found in the window."))
            count = len(" ".join(lines).split())
            self.teller.set_status(
                ngettext("Ready. {count} word read.", "Ready. {count} words read.", count).format(count=count)
            )
        self.image_text.on_read(number, lines)

    def on_text_failed(self, number: int, message: str) -> None:
        self.text.on_failed(number, message)
        if self._is_capture(number):
            self.capture_job = None
            self.teller.fail(message)
        self.image_text.on_failed(number, message)

    # -- the model thread's answers ---------------------------------------------------------
    def on_image_ready(self, request_id: int, image: Image.Image) -> None:
        if self.current is not None and self.current.id == request_id:
            self.current.image = image

    def _read_text_along(self, request: Request) -> None:
        """Start reading the text of the picture being described, once per description.

        It starts when the gist's first sentence goes to speech, not with the picture: on a processor the
        OCR would take cores from the model and hold that first sentence back, and the sentence takes
        longer to say than a screen takes to read, so the text is still ready to follow without a gap."""
        if (
            request.kind == "describe"
            and request.image is not None
            and self.settings.read_text_on_images
            and not self.text.reading_along(request.id)
        ):
            self.text.read_along(
                request.id,
                request.image,
                self.settings.text_word_limit or None,
                how_to_press("read-all-text", self.settings.hotkeys),
            )

    def on_text(self, request_id: int, text: str) -> None:
        """The model's text so far: each sentence is said once complete."""
        request = self.current
        if request is None or request.id != request_id or self.stream is None or not self.outside.speaking:
            return  # without speech, the whole text is shown once it is finished
        for sentence in self.stream.feed(text):
            self.teller.say(sentence)
            self.said.append(sentence)
            self._read_text_along(request)

    def on_finished(self, request_id: int, text: str) -> None:
        request = self.current
        if request is None or request.id != request_id or self.stream is None:
            return
        self.current = None
        if not text.strip():
            text = _("The model gave no answer.")
            self.teller.say(text)
        elif self.outside.speaking:
            for sentence in self.stream.finish(text):
                self.teller.say(sentence)
        else:
            self.teller.say(text)
        if request.kind == "describe":
            self._read_text_along(request)
            reading = self.text.reading_along(request.id)  # before the text follows the gist, which ends it
            self.text.gist_said(request.id)
            self._new_picture(request.image, text)
            self.image_text.expect(request.id if reading else None)
            if request.image is not None:
                self._show_picture(request.image, text)
        else:
            self.conversation.answered(request.question, text)
            self.dialog.add_answer(text)
        # Translators: the status line after a description or answer; {text} is what the model said.
        self.teller.set_status(_("Ready. Last: {text}").format(text=text))

    def on_failed(self, request_id: int, message: str) -> None:
        if self.current is None or self.current.id != request_id:
            return
        request, self.current = self.current, None
        if request.kind == "ask":
            self.dialog.answer_failed(message)
        self.teller.fail(message)

    def on_cancelled(self, request_id: int) -> None:
        if self.current is None:
            self.dialog.answer_cancelled()

    # -- the conversation window ------------------------------------------------------------
    def _new_picture(self, image: Image.Image | None, description: str) -> None:
        self.conversation.new_picture(image, description)
        self._text_unread = None

    def _show_picture(self, image: Image.Image, description: str) -> None:
        self.dialog.show_picture(image, description, self.image_text.lines, self.image_text.note)

    def _show_text_in_dialog(self) -> None:
        self.dialog.show_text_on_image(self.image_text.lines, self.image_text.note)
