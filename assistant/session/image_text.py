"""The text on the last image, as questions about it are asked with it and the dialog shows it.

The text of a described picture is read on the OCR thread while (or after) its gist is said, so a
question can come in before it is read. Then the question waits for it, up to `WAIT_S`: waiting is
what makes "What does the error say?" answerable, and it is short, since a screen is read in about
two seconds here and a window in half a second (BENCHMARKS.md), and reading starts with the gist's
first sentence, long before a question is typed or spoken. Past the deadline (a slow machine, a huge
picture) the question is asked from the picture alone rather than leave the user waiting on nothing.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence

from assistant.i18n import N_, _
from assistant.session.clock import Clock, Timer

log = logging.getLogger(__name__)

WAIT_S = 5.0
RESULTS_KEPT = 8  # reads finished before the picture they belong to is the last one (a few at most)

# Translators: the note in the dialog's "Text on it" field about the text on the picture.
READING = N_("Reading the text on it…")
NO_TEXT = N_("No text was found on it.")
# Said by "Read all the text" and shown in the dialog alike: one wording, saying what to do.
OFF = N_("The text on pictures is not read; turn on Read the text on pictures in Settings.")
# A description stopped before its text was read: the text is read for the first question about it.
NOT_READ = N_("The text on it is read when you ask about it.")

Ready = Callable[[Sequence[str]], None]


class ImageText:
    """The text on the last image: its lines once read, or why there are none (`note`).

    `changed` is called after every change, for the dialog's "Text on it" field.
    """

    def __init__(self, clock: Clock, changed: Callable[[], None]) -> None:
        self._clock = clock
        self._changed = changed
        self.lines: list[str] = []
        self.note = _(NO_TEXT)
        """What the dialog shows when there are no lines: no text found, still reading, off, or failed."""
        self._awaited: int | None = None  # the read the last image's text comes from, while it is read
        self._finished: OrderedDict[int, list[str] | str] = OrderedDict()  # read id -> lines, or why not
        self._waiting: Ready | None = None
        self._deadline: Timer | None = None

    @property
    def reading(self) -> bool:
        return self._awaited is not None

    def expect(self, read_id: int | None, note: str = OFF) -> None:
        """The last image is now the one read by `read_id` (started already); None: its text is not read,
        for the reason `note` (untranslated) gives."""
        self._awaited = None
        if read_id is None:
            self._set([], _(note))
        elif read_id in self._finished:
            self._use(self._finished[read_id])
        else:
            self._awaited = read_id
            self._set([], _(READING))

    def when_ready(self, ready: Ready) -> None:
        """Call `ready` with the lines once they are known: now, or when read, or at the deadline with none.

        Only the latest call waits: a new question replaces one still waiting (which the session has
        cancelled by then).
        """
        if not self.reading:
            self.stop_waiting()
            ready(self.lines)
            return
        self.stop_waiting()
        self._waiting = ready
        self._deadline = self._clock.call_later(WAIT_S, self._on_deadline)

    def stop_waiting(self) -> None:
        self._waiting = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def on_read(self, read_id: int, lines: list[str]) -> None:
        self._keep(read_id, list(lines))

    def on_failed(self, read_id: int, message: str) -> None:
        self._keep(read_id, message)

    def _set(self, lines: list[str], note: str) -> None:
        self.lines, self.note = lines, note
        self._changed()
        if not self.reading and self._waiting is not None:
            ready = self._waiting
            self.stop_waiting()
            ready(self.lines)

    def _use(self, result: list[str] | str) -> None:
        if isinstance(result, str):
            self._set([], result)
        else:
            self._set(result, _(NO_TEXT))

    def _keep(self, read_id: int, result: list[str] | str) -> None:
        self._finished[read_id] = result
        while len(self._finished) > RESULTS_KEPT:
            self._finished.popitem(last=False)
        if read_id == self._awaited:
            self._awaited = None
            self._use(result)

    def _on_deadline(self) -> None:
        self._deadline = None
        if self._waiting is None:
            return
        log.info("The text on the image was not read within %g s; the question is asked without it.", WAIT_S)
        ready = self._waiting
        self._waiting = None
        ready([])
