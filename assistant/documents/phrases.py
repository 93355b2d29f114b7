"""The alt-text report's own sentences: English in the data, the user's language when shown.

A reason, a note or a location that the run makes ("Marked decorative, so left alone.", "page 2, figure
1") is a `Phrase`: a str whose value is the English sentence, which the JSON and CSV reports, the journal
and Ray's rows keep as it is, for scripts. It remembers its catalogue message and values, so `said` gives
it in the user's language where the report is shown to a person, in the process that shows it (a Ray
worker's may not know the user's language). The messages are marked by `phrase` and `nphrase`, which the
catalogue's extraction reads like `_` and `ngettext` (tests/i18n/i18n_catalogue.py).

A failure's sentence that comes from an error (a file not found, a model that failed) was translated
where it was raised, like every UserError, and is shown as it is.
"""

from __future__ import annotations

from assistant.i18n import _, ngettext


class Phrase(str):
    """An English sentence of the report that can be said again in the user's language."""

    message: str  # the catalogue's message (its singular, for a counted one)
    plural: str  # "" unless counted
    number: int  # what a counted message counts, put in as {count}
    values: dict[str, object]

    def __new__(cls, message: str, plural: str, number: int, values: dict[str, object]) -> Phrase:
        # A value that is a phrase goes into the English as its English.
        if plural:
            english = (message if number == 1 else plural).format(count=number, **values)
        else:
            english = message.format(**values)
        made = super().__new__(cls, english)
        made.message, made.plural, made.number, made.values = message, plural, number, values
        return made

    def __reduce__(self) -> tuple[object, ...]:
        # Pickled (Ray's rows) with what it takes to translate it.
        return (Phrase, (self.message, self.plural, self.number, self.values))

    def shown(self) -> str:
        """The sentence in the user's language; values that are phrases are translated too."""
        values = {
            name: said(value) if isinstance(value, str) else value for name, value in self.values.items()
        }
        if self.plural:
            return ngettext(self.message, self.plural, self.number).format(count=self.number, **values)
        return _(self.message).format(**values)


def phrase(message: str, /, **values: object) -> Phrase:
    """A sentence of the report: `message` is its English, with named placeholders for `values`."""
    return Phrase(message, "", 0, values)


def nphrase(singular: str, plural: str, count: int, /, **values: object) -> Phrase:
    """A sentence of the report that counts something: `{count}` is put in, in the form that fits it."""
    return Phrase(singular, plural, count, values)


def the_image(source: str) -> Phrase:
    """The words that start a sentence about one image, put into the sentences of its errors."""
    # Translators: the alt-text report, the start of a sentence about one image; {source} is its file
    # name or address.
    return phrase("The image {source}", source=source)


def said(text: str) -> str:
    """`text` as a person reads it: a phrase in the user's language, anything else as it is."""
    return text.shown() if isinstance(text, Phrase) else text
