"""The strings for translation: all wrapped, all in the template, all translated into Spanish, with the
same placeholders, and the compiled catalogue is the one the build made from the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import i18n_catalogue as catalogue
import i18n_scan as scan
import pytest
from babel.messages.mofile import read_mo

from assistant import i18n

# Files whose user-facing strings are not wrapped yet (issue 23 went room by room; all are wrapped now).
# A file may join only while it is being converted, and must leave once it is clean.
NOT_YET_WRAPPED: set[str] = set()
SPANISH = catalogue.LOCALE / "es" / "LC_MESSAGES" / "assistant.po"


@pytest.fixture(scope="module")
def template():
    return catalogue.extract()


@pytest.fixture(scope="module")
def spanish():
    return catalogue.read(SPANISH, "es")


def test_every_user_facing_string_is_wrapped():
    found = scan.findings()
    unwrapped = [str(finding) for finding in found if finding.path not in NOT_YET_WRAPPED]
    assert not unwrapped, "wrap these for translation with _() (see docs/translating.md):\n" + "\n".join(
        unwrapped
    )
    clean = NOT_YET_WRAPPED - {finding.path for finding in found}
    assert not clean, f"these files are wrapped now; take them off NOT_YET_WRAPPED: {sorted(clean)}"


def test_the_scan_finds_unwrapped_strings(tmp_path):
    """The scan itself: each kind of user-facing literal is found, and a wrapped one is not."""
    source = tmp_path / "sample.py"
    source.write_text(
        "class ThingError(UserError): ...\n"
        "raise ThingError('The thing broke; try again.')\n"
        "raise ThingError(_('The thing broke; try again.'))\n"
        "speaker.say(f'{count} more words')\n"
        "button.setAccessibleName('Send')\n"
        "label.setText(_(f'Hello {name}'))\n"
        "parser.add_argument('--x', help='What x does.')\n"
        "print(ngettext('{n} word', '{n} words', n).format(n=n))\n"
        "image.status, image.reason = FAILED, 'Marked decorative, so left alone.'\n"
        "image.reason = phrase('Marked decorative, so left alone.')\n"
        "problems.append((path, f'{path} was not found.'))\n"
        "Source(None, problem='The image has no source.')\n"
        "parser.add_argument('paths', metavar='PATH', help=_('documents or folders'))\n"
        "raise argparse.ArgumentTypeError('must be 1 or more')\n"
        "self._append(f'Answer: {answer}', spoken=True)\n"
        "parser.add_argument('--batch-size', metavar='N', help=_('images per batch'))\n"
        "unavailable_message(reason, 'restart the app to try again')\n"
        "on_progress('Loading the model into memory…')\n",
        encoding="utf-8",
    )
    scan.PACKAGE, package = tmp_path, scan.PACKAGE
    try:
        found = sorted((finding.line, finding.text) for finding in scan.findings([source]))
    finally:
        scan.PACKAGE = package
    assert [line for line, _text in found] == [2, 4, 5, 6, 7, 9, 11, 12, 13, 14, 15, 17, 18]


def test_the_template_is_up_to_date(template):
    written = catalogue.read(catalogue.TEMPLATE)
    wanted = {(message.context, message.id) for message in template if message.id}
    have = {(message.context, message.id) for message in written if message.id}
    assert wanted == have, (
        "assistant/locale/assistant.pot is out of date; run .venv/bin/python tests/i18n/i18n_catalogue.py "
        f"(new: {sorted(map(str, wanted - have))[:10]}, gone: {sorted(map(str, have - wanted))[:10]})"
    )


def test_spanish_translates_every_message_with_the_same_placeholders(template, spanish):
    problems = []
    for message in template:
        if not message.id:
            continue
        translated = spanish.get(message.id, message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if translated is None:
            problems.append(f"missing: {ids[0]!r}")
            continue
        if translated.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        strings = translated.string if isinstance(translated.string, tuple) else (translated.string,)
        if not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        for text in strings:
            # Every plural form names the same placeholders as the English plural.
            if catalogue.placeholders(text) != catalogue.placeholders(ids[-1]):
                problems.append(f"placeholders differ: {ids[-1]!r} -> {text!r}")
    assert not problems, "assistant/locale/es/LC_MESSAGES/assistant.po:\n" + "\n".join(problems)


def test_spanish_menu_mnemonics_are_unique():
    from assistant.actions import ACTIONS

    translation = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=["es"])
    labels = [translation.gettext(action.english_label) for action in ACTIONS]
    mnemonics = [label[label.index("&") + 1].lower() for label in labels if "&" in label]
    assert len(mnemonics) == len(ACTIONS), labels
    assert len(set(mnemonics)) == len(mnemonics), labels


def test_the_build_compiled_the_spanish_catalogue_from_the_po(spanish):
    """`pip install -e .` (dev.py) compiles the .mo; it holds what the .po says now, fuzzy ones left out."""
    compiled = SPANISH.with_suffix(".mo")
    assert compiled.is_file(), "the .mo is built by the install: run .venv/bin/pip install -e ."
    with compiled.open("rb") as file:
        built = read_mo(file)
    wanted = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]): _text(m.string)
        for m in spanish
        if m.id and not m.fuzzy and m.string
    }
    have = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): _text(m.string) for m in built if m.id}
    assert have == wanted, (
        "the .mo is older than the .po: run .venv/bin/pip install -e . (or python3 dev.py setup)"
    )


def test_the_english_text_of_a_message_is_kept_where_there_is_no_catalogue():
    i18n.setup(override="xx")
    try:
        assert i18n._("Describe &screen") == "Describe &screen"
        assert i18n.take_notice() == "The assistant is not translated into xx yet, so it speaks English."
        assert i18n.take_notice() is None  # said once
    finally:
        i18n.setup(override="en")


def _text(string):
    return string if isinstance(string, str) else tuple(string)


def test_no_function_hides_the_translation_function_behind_a_variable():
    assert scan.shadowed_translation() == []


# Functions that return English on purpose, and why; any other must return its words wrapped.
RETURNS_ENGLISH = {
    ("assistant/capture/blank.py", "colour_name"): "a key, said in the user's language by blank.py",
    ("assistant/documents/sources.py", "megabytes"): "a unit, the same in every language",
    ("assistant/engine/catalogue.py", "_gb"): "a unit, the same in every language",
    ("assistant/engine/int8.py", "extra_repr"): "torch's description of a layer, for developers",
    ("assistant/engine/server.py", "_in_language"): "the prompt of a model, which is asked in English",
    ("assistant/speech/espeak.py", "version"): "a program's name and version",
    ("assistant/speech/orca_service.py", "name"): "a program's name and version",
    ("assistant/ui/worker.py", "_duration"): "for the log, which is in English",
}


def test_no_function_returns_english_that_reaches_the_user():
    """A model server that did not answer was "no responde (nothing listens there)" to a Spanish user:
    `_reason` returned English that a translated message took in."""
    found = [f"{path}:{line} {function}: {text!r}" for path, function, line, text in scan.returned_english()
             if (path, function) not in RETURNS_ENGLISH]  # fmt: skip
    assert not found, "wrap these for translation with _(), or list them here with why:\n" + "\n".join(found)


# The f-strings of the ui and the session that are not shown or said, and why.
UI_FORMATTED_ON_PURPOSE = {
    ("assistant/ui/earcons.py", "cue-{}.wav"): "a sound's file name",
    ("assistant/ui/worker.py", "{} minute{}"): "a duration for the log (_duration), which is in English",
}


def test_every_formatted_english_string_of_the_ui_and_session_is_wrapped():
    """The tray icon's tooltip was f"Assistant: {text}": made in a variable, then shown."""
    found = [
        str(f)
        for folder in ("assistant/ui/", "assistant/session/")  # what is shown, and the spoken states
        for f in scan.formatted_english(folder)
        if (f.path, f.text) not in UI_FORMATTED_ON_PURPOSE
    ]
    assert not found, "wrap these for translation with _(), or list them here with why:\n" + "\n".join(found)


def test_spanish_names_the_settings_window_and_the_computer_one_way():
    """A sentence that sends the user to Settings names the window as its title bar does
    ("Configuración"), and the computer is "computadora" throughout: the missing translation model's
    notice, heard in the walk-through in Spanish, sent the user to "Ajustes" on their "ordenador"."""
    spanish = catalogue.read(catalogue.LOCALE / "es" / "LC_MESSAGES" / "assistant.po", "es")
    found = []
    for message in spanish:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        for english, text in zip(ids, texts, strict=False):
            if not english or not text:
                continue
            if re.search(r"\bSettings\b", english) and "Configuración" not in text:
                found.append(text)
            if re.search(r"\b(ordenador|Ajustes)\b", text, re.IGNORECASE):
                found.append(text)
    assert found == []


def test_no_message_marks_a_command_with_backticks():
    """A command in a message is quoted (“assistant trigger describe-screen”), not marked as code with
    backticks: the app speaks these sentences, and a screen reader reading all punctuation said "grave"
    around every command (15 messages did)."""
    from babel.messages.pofile import read_po

    import assistant

    locale = Path(assistant.__file__).parent / "locale"
    for path in (locale / "assistant.pot", locale / "es" / "LC_MESSAGES" / "assistant.po"):
        with path.open("rb") as file:
            found = [m for m in read_po(file) if m.id]
        texts = [text for m in found for text in (*_all(m.id), *_all(m.string)) if text]
        assert [text for text in texts if "`" in text] == [], path.name


def _all(value: object) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
