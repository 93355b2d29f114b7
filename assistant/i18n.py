"""The app's words in the user's language: gettext catalogues under assistant/locale.

Every user-facing string is written in English in the code and wrapped: `_("Ready.")`, `ngettext` for
counts, `pgettext("spoken", "Stop")` where the same English word is said aloud and shown as a label.
A string with something put into it names its placeholders (`_("Saved {path}.").format(path=…)`), so a
translation may reorder them; a `# Translators:` comment right above says where the string appears.
Strings defined at import time (the actions' menu labels) are marked with `N_` and translated where
they are shown, so a language chosen after import still applies.

The language follows the desktop (LANGUAGE, LC_ALL, LC_MESSAGES, LANG; on Windows and macOS the UI
languages the ui layer reads from Qt), unless Settings names one. A language without a catalogue falls
back to English, and `take_notice` hands the sentence saying so to whoever speaks first, once.
No Qt here: every layer imports this module.
"""

from __future__ import annotations

import errno
import gettext as _gettext
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

DOMAIN = "assistant"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The language the code is written in; it needs no catalogue.
SOURCE_LANGUAGE = "en"
# The environment variables GNU gettext reads on Linux, first wins.
LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

# English names of languages: for the notice said in English when a catalogue is missing (a language not
# listed is named by its code), and for the prompt that asks a multilingual model to answer in one.
ENGLISH_NAMES = {
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "ja": "Japanese",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "zh": "Chinese",
}

_lock = threading.Lock()
_translation: _gettext.NullTranslations | None = None
_language = SOURCE_LANGUAGE
_notice: str | None = None


def normalize(tag: str) -> str:
    """A language tag as gettext names catalogues: "es-MX" / "es_MX.UTF-8@euro" -> "es_MX"; "" for C/POSIX."""
    tag = tag.strip().split(".")[0].split("@")[0].replace("-", "_")
    if tag in ("", "C", "POSIX"):
        return ""
    language, _sep, region = tag.partition("_")
    return f"{language.lower()}_{region.upper()}" if region else language.lower()


def desktop_languages(
    environ: Mapping[str, str] | None = None, ui_languages: Sequence[str] = ()
) -> list[str]:
    """The desktop's languages, most wanted first: LANGUAGE's list, else the first of LC_ALL, LC_MESSAGES
    and LANG that is set; the system's UI languages (Windows, macOS) where none of those says one."""
    environ = os.environ if environ is None else environ
    wanted: list[str] = []
    for variable in LANGUAGE_VARIABLES:
        value = environ.get(variable, "")
        if not value:
            continue
        parts = value.split(":") if variable == "LANGUAGE" else [value]
        wanted = [tag for tag in (normalize(part) for part in parts) if tag]
        if wanted or variable != "LANGUAGE":
            # LC_ALL=C means English even where LANG says otherwise, as gettext does.
            break
    if not wanted:
        wanted = [tag for tag in (normalize(part) for part in ui_languages) if tag]
    return wanted


def available_languages() -> list[str]:
    """The languages with a catalogue that the build compiled, and English."""
    found = (
        {
            folder.name
            for folder in LOCALE_DIR.iterdir()
            if (folder / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
        }
        if LOCALE_DIR.is_dir()
        else set()
    )
    return [SOURCE_LANGUAGE, *sorted(found)]


def setup(
    override: str = "", ui_languages: Sequence[str] = (), environ: Mapping[str, str] | None = None
) -> str:
    """Choose the language: `override` (the Settings choice; "" follows the desktop), else the desktop's.
    Returns the language in use ("en" where there is no catalogue for the one asked for)."""
    global _translation, _language, _notice
    wanted = [normalize(override)] if normalize(override) else desktop_languages(environ, ui_languages)
    translation: _gettext.NullTranslations = _gettext.NullTranslations()
    language = SOURCE_LANGUAGE
    notice = None
    for tag in wanted:
        base = tag.split("_")[0]
        if base == SOURCE_LANGUAGE:
            break
        # gettext tries es_MX, then es; fallback=True gives NullTranslations where neither has a catalogue.
        found = _gettext.translation(DOMAIN, LOCALE_DIR, languages=[tag], fallback=True)
        if type(found) is not _gettext.NullTranslations:
            translation, language = found, base
            break
    else:
        if wanted:
            base = wanted[0].split("_")[0]
            # Said in English, since there is no catalogue to say it in.
            notice = (
                f"The assistant is not translated into {ENGLISH_NAMES.get(base, base)} yet, "
                "so it speaks English."
            )
    with _lock:
        _translation, _language, _notice = translation, language, notice
    return language


def language() -> str:
    """The language the app speaks now, such as "es"; "en" where no catalogue matched."""
    _current()
    return _language


def translation_for(tag: str) -> _gettext.NullTranslations:
    """The catalogue of the language `tag` ("es", "pt-BR"), English where there is none: for words written
    in a language other than the user's, such as a document's own."""
    return _gettext.translation(
        DOMAIN, LOCALE_DIR, languages=[normalize(tag) or SOURCE_LANGUAGE], fallback=True
    )


def take_notice() -> str | None:
    """The sentence saying that the desktop's language has no catalogue, the first time it is asked for."""
    global _notice
    _current()
    with _lock:
        notice, _notice = _notice, None
    return notice


def _current() -> _gettext.NullTranslations:
    # The first string asked for before `setup` follows the desktop, so the command line's --help and
    # a library used alone speak the user's language too.
    translation = _translation
    if translation is None:
        setup()
        translation = _translation
        assert translation is not None
    return translation


def _(message: str) -> str:
    """`message` in the user's language."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a counted message for `count`, in the user's language."""
    return _current().ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """`message` in the user's language, where `context` ("spoken", "menu", "button") tells apart the
    same English words used in two places."""
    return _current().pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, count: int) -> str:
    return _current().npgettext(context, singular, plural, count)


def decimal(value: float, spec: str = ".1f") -> str:
    """`value` formatted by `spec` with the user's language's decimal mark ("3,5 GB" in Spanish, where a
    voice reads "3.5" as "three point five" in English words' order)."""
    # Translators: your language's decimal mark, as in 3.5 GB ("," in Spanish: 3,5 GB).
    return format(value, spec).replace(".", pgettext("decimal mark", "."))


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it yet (it is translated where shown)."""
    return message


# Why a file or connection failed, for the errors people meet; the system's own words (strerror) are
# English wherever its locale is not set up for the app's language (and always on Windows and macOS).
_OS_REASONS = {
    # Translators: why a file could not be read or written, put into a sentence ("… (no such file or folder)").
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOSPC: N_("the disk is full"),
    getattr(errno, "EDQUOT", errno.ENOSPC): N_("the disk is full"),  # Windows has no EDQUOT
    errno.EROFS: N_("the disk is read-only"),
    errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EISDIR: N_("it is a folder"),
    errno.ENOTDIR: N_("part of the path is not a folder"),
    errno.EEXIST: N_("something of that name is already there"),
    errno.EMFILE: N_("too many files are open"),
    errno.ENFILE: N_("too many files are open"),
    errno.EIO: N_("the disk could not be read or written"),
    errno.ECONNREFUSED: N_("the connection was refused"),
    errno.ETIMEDOUT: N_("it took too long"),
}


def os_reason(error: OSError) -> str:
    """Why `error` happened, in the user's language where the app knows the case; else the system's words."""
    known = _OS_REASONS.get(error.errno) if error.errno is not None else None
    return _(known) if known is not None else str(error.strerror or error or type(error).__name__)


def use_catalogue_for_standard_library() -> None:
    """Python's own modules that speak through gettext's global domain (argparse's usage, section titles
    and errors) find their words in the app's catalogue, in the desktop's language. Their English
    strings are marked in assistant/cli/argparse_words.py."""
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
