"""Which language the app speaks: the desktop's, or the Settings choice, else English saying so once."""

from __future__ import annotations

import pytest

from assistant import i18n
from assistant.actions import BY_NAME, how_to_press, spoken_hotkey


@pytest.fixture(autouse=True)
def _english_after():
    yield
    i18n.setup(override="en")


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [
        ({"LANGUAGE": "es_MX:fr", "LANG": "de_DE.UTF-8"}, ["es_MX", "fr"]),
        ({"LC_ALL": "es_ES.UTF-8", "LANG": "de_DE.UTF-8"}, ["es_ES"]),
        ({"LC_MESSAGES": "pt_BR.utf8@x", "LANG": "de_DE.UTF-8"}, ["pt_BR"]),
        ({"LANG": "es_AR.UTF-8"}, ["es_AR"]),
        ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, []),  # C is English, as gettext reads it
        ({"LANGUAGE": "", "LANG": "C.UTF-8"}, []),
    ],
)
def test_the_desktop_language_comes_from_the_environment_in_gettexts_order(environ, wanted):
    assert i18n.desktop_languages(environ) == wanted


def test_the_system_ui_languages_count_where_the_environment_names_none():
    # Windows and macOS: the ui layer passes QLocale.system().uiLanguages().
    assert i18n.desktop_languages({}, ["es-419", "en-US"]) == ["es_419", "en_US"]
    assert i18n.desktop_languages({"LANG": "fr_FR.UTF-8"}, ["es-419"]) == ["fr_FR"]


def test_spanish_from_the_desktop_translates_and_a_region_finds_the_language():
    assert i18n.setup(environ={"LANG": "es_MX.UTF-8"}) == "es"
    assert i18n.language() == "es"
    assert BY_NAME["describe-screen"].label == "Describir &pantalla"
    assert i18n.take_notice() is None


def test_the_settings_choice_wins_over_the_desktop():
    assert i18n.setup(override="en", environ={"LANG": "es_ES.UTF-8"}) == "en"
    assert BY_NAME["describe-screen"].label == "Describe &screen"
    assert i18n.setup(override="es", environ={"LANG": "en_US.UTF-8"}) == "es"


def test_a_language_without_a_catalogue_falls_back_to_the_next_then_english():
    assert i18n.setup(environ={"LANGUAGE": "xx:es"}) == "es"
    assert i18n.take_notice() is None
    assert i18n.setup(environ={"LANG": "fr_FR.UTF-8"}) == "en"
    assert i18n.take_notice() == "The assistant is not translated into French yet, so it speaks English."


def test_hotkeys_in_spoken_hints_are_said_the_spanish_way():
    i18n.setup(override="es")
    assert spoken_hotkey("ctrl+alt+e") == "Control Alt E"
    assert spoken_hotkey("ctrl+shift+page_down") == "Control Mayúsculas Avanzar página"
    assert how_to_press("read-all-text", {"read-all-text": "ctrl+alt+e"}) == "pulsa Control Alt E"
    assert (
        how_to_press("read-all-text", {}) == "elige Leer todo el texto en el menú o la ventana del Asistente"
    )


def test_a_blank_screen_is_called_blank_in_spanish():
    from assistant.capture import blank_message

    i18n.setup(override="es")
    assert blank_message("black") == "La pantalla está en blanco: todo de color negro."
    assert blank_message("dark blue", "window") == "La ventana está en blanco: todo de color azul oscuro."
    i18n.setup(override="en")
    assert blank_message("dark blue", "window") == "The window is blank: all dark blue."


def test_the_words_left_are_counted_in_spanish_with_the_key_to_hear_them():
    from assistant.ocr import text_to_speak

    i18n.setup(override="es")
    lines = ["uno dos tres", "cuatro"]
    assert text_to_speak(lines, 3, "pulsa Control Alt E") == (
        "Texto de la imagen: uno dos tres. … 1 palabra más; pulsa Control Alt E para oírla."
    )
    assert (
        text_to_speak(["uno dos tres cuatro cinco"], 3)
        == "Texto de la imagen: uno dos tres. … 2 palabras más."
    )
