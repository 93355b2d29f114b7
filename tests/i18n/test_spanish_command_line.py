"""The command line under a Spanish desktop (LANGUAGE=es), run as a user runs it: in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _assistant(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LANGUAGE": "es",
        "LANG": "C.UTF-8",
        "ASSISTANT_CONFIG_DIR": str(tmp_path),
        "PYTHONIOENCODING": "utf-8",
    }
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_help_is_spanish_with_argparses_own_words(tmp_path):
    done = _assistant("--help", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("uso: assistant")
    assert "Describe en voz alta la pantalla y las imágenes" in done.stdout
    assert "revisa lo que puede hacer esta computadora" in done.stdout  # doctor's help
    assert "muestra este mensaje de ayuda y sale" in done.stdout
    assert "show this help" not in done.stdout and "positional arguments" not in done.stdout
    assert "muestra el número de versión del programa y sale" in done.stdout
    assert "show program's" not in done.stdout
    assert "mide la velocidad" in done.stdout and "measure speed" not in done.stdout  # the bench plug-in


def test_a_mistake_on_the_command_line_is_told_in_spanish(tmp_path):
    done = _assistant("trigger", "nonsense", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "opción no válida: 'nonsense'" in done.stderr


@pytest.mark.slow
def test_doctor_reports_in_spanish(tmp_path):
    done = _assistant("doctor", tmp_path=tmp_path)
    for heading in ("Configuración:", "Modelo y tarjeta gráfica:", "Disco:", "Salida de voz:", "Pantalla:"):
        assert f"\n{heading}\n" in done.stdout, done.stdout
    assert "Todavía no hay nada guardado" in done.stdout
    assert "Pantalla: no se encontró ninguna (DISPLAY no está definida)." in done.stdout
    # The model catalogue's facts and the precision's reason are Spanish too (they were English).
    for english in ("many languages", "the processor in", "no CUDA graphics card", ", English"):
        assert english not in done.stdout, english


def test_numbers_take_the_languages_decimal_mark(tmp_path):
    """A Spanish voice reads "14.0 GB" as English does; Spanish writes 14,0 GB (`i18n.decimal`)."""
    done = _assistant("models", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3,7 mil millones de parámetros" in done.stdout and "unos 14,0 GB de descarga" in done.stdout
    assert "14.0 GB" not in done.stdout and "3.7 mil" not in done.stdout


def test_no_message_formats_a_decimal_number_itself():
    """A format with decimals in a message (`{size:.1f}`) would write the English decimal mark in every
    language: numbers go through `i18n.decimal` first."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    import assistant

    catalogue = Path(assistant.__file__).parent / "locale" / "assistant.pot"
    with catalogue.open("rb") as file:
        ids = [m.id for m in read_po(file) if m.id]
    texts = [text for found in ids for text in ([found] if isinstance(found, str) else found)]
    assert not [text for text in texts if re.search(r"\{\w*:[^}]*\.[1-9]\d*[fge%]\}", text)]
