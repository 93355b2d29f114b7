"""The text on a described picture, said after its gist, never before and never over it: if the text
is read first it waits for the gist; if the gist is done first the text follows it at once.

Long text is said up to the word limit, then how many words are left and the key that reads them
("Read all the text"), which continues from the cut.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

Say = Callable[[str], None]
Read = Callable[[int, Image.Image], None]  # read the text of a picture; its lines come back by number


class TextAfterGist:
    """What is asked of the OCR thread for descriptions and "Read the text", and what is said when."""

    def __init__(self, say: Say, read: Read) -> None:
        self._say = say
        self._read = read
        self._describing: int | None = None  # the description whose text is awaited
        self._word_limit: int | None = None
        self._to_hear_more = ""
        self._whole = False  # the awaited text is said whole ("Read all the text" came before it)
        self._lines: list[str] | None = None
        self._gist_said = False
        self.last_lines: list[str] = []
        """The text on the last picture described or read, in reading order."""
        self.rest: list[str] | None = None
        """The lines of the last picture's text not said yet (the word limit cut them); None: none read."""
        self.not_read = False
        """Whether the last picture was described with reading its text turned off."""

    def read(self, number: int, image: Image.Image) -> None:
        """Read the text of `image` (a window for "Read the text"); `on_read(number, lines)` follows."""
        self._read(number, image)

    def new_picture(self, read: bool = True) -> None:
        """A new picture is being described or read: the last one's text is no longer continued.

        `read`: False where its text will not be read (turned off in Settings)."""
        self.rest, self.not_read = None, not read

    def read_along(
        self, request_id: int, image: Image.Image, word_limit: int | None, to_hear_more: str = ""
    ) -> None:
        """Read the text of a picture being described, to be said after its gist.

        `to_hear_more` follows the count of words left over the limit ("press Control Alt E")."""
        self._describing, self._word_limit, self._to_hear_more = request_id, word_limit, to_hear_more
        self._lines, self._gist_said = None, False
        self.new_picture()
        self._read(request_id, image)

    @property
    def awaited(self) -> bool:
        """Whether the text of a description is being read, or waits for its gist, to be said."""
        return self._describing is not None

    def read_whole(self) -> None:
        """Say the whole of the text of the description under way, without the word limit."""
        self._whole = True

    def all_said(self, lines: list[str]) -> None:
        """The whole text of a picture was said ("Read the text"): nothing is left to continue."""
        self.last_lines, self.rest, self.not_read = list(lines), [], False

    def take_rest(self) -> list[str] | None:
        """The lines not said yet, which are said now (None: no text read yet); after them, none are left."""
        rest = self.rest
        if rest is not None:
            self.rest = []
        return rest

    def reading_along(self, request_id: int) -> bool:
        """Whether the text of description `request_id` is already being read."""
        return self._describing == request_id

    def gist_said(self, request_id: int) -> None:
        """The description's gist is said: its text follows now, or as soon as it is read."""
        if request_id != self._describing:
            return
        self._gist_said = True
        if self._lines is not None:
            self._say_text()

    def drop(self) -> None:
        """Say nothing more of the text awaited (stop, or new work)."""
        self._describing, self._lines, self._gist_said, self._whole = None, None, False, False

    def on_read(self, number: int, lines: list[str]) -> None:
        if number != self._describing:
            return
        self._lines = lines
        self.last_lines = list(lines)
        if self._gist_said:
            self._say_text()

    def on_failed(self, number: int, message: str) -> None:
        if number == self._describing:
            self._lines = []  # nothing to follow the gist; the description is not read again
            self._say(message)

    def _say_text(self) -> None:
        from assistant.ocr import split_at_limit, text_to_speak

        lines = self._lines or []
        limit, to_hear_more = None if self._whole else self._word_limit, self._to_hear_more
        self.drop()
        self.rest = split_at_limit(lines, limit)[1]
        if lines:
            self._say(text_to_speak(lines, limit, to_hear_more))
