"""OCR reads what is written, exactly, and invents nothing: accents come through, icons give no text, and
CJK is read only for a CJK user or where it is clearly on the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from assistant.ocr import TextReader
from assistant.ocr.layout import TextLine
from assistant.ocr.scripts import ScriptDecoder, is_cjk, plausible, script_of

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SPANISH_NOTE = [
    "¿Dónde está la señora Núñez?",
    "¡Qué día! El niño comió piña y",
    "jamón en la cafetería después de",
    "la reunión del año pasado, según él.",
    "Mañana habrá más información aquí.",
]


def note(lines: list[str], size: int = 22) -> Image.Image:
    font = ImageFont.truetype(str(FONT), size)
    picture = Image.new("RGB", (720, 60 + 44 * len(lines)), "white")
    draw = ImageDraw.Draw(picture)
    for index, line in enumerate(lines):
        draw.text((30, 30 + 44 * index), line, font=font, fill=(20, 20, 20))
    return picture


@pytest.mark.skipif(not FONT.is_file(), reason="needs DejaVu Sans (apt-get install fonts-dejavu-core)")
@pytest.mark.parametrize("language", ["es", "en"])
def test_a_spanish_note_is_read_word_for_word_with_every_accent(language: str) -> None:
    read = TextReader().read(note(SPANISH_NOTE), language=language)
    # "¡" is not in the shipped recogniser's alphabet; it is put back where the pixels show one
    # (assistant/ocr/marks.py, docs/ocr-and-speech-language.md).
    assert " ".join(read.words) == " ".join(" ".join(SPANISH_NOTE).split())


def test_a_shape_read_as_cjk_is_read_as_latin_with_its_low_score_and_clear_cjk_stays() -> None:
    class Decoder:  # RapidOCR's CTCLabelDecode, reduced to what ScriptDecoder uses
        character = ("blank", "O", "K", "网", "中", "文", " ")

        def __call__(self, preds, return_word_box=False, **kwargs):
            lines = []
            for line in preds:
                picked = [int(i) for i in line.argmax(1)]
                text = "".join(self.character[i] for i in picked if i)
                scores = [line[t, i] for t, i in enumerate(picked) if i]
                lines.append((text, float(np.mean(scores)) if scores else 0.0))
            return lines, []

    def line(*steps: dict[int, float]) -> np.ndarray:
        out = np.zeros((len(steps), 7), np.float32)
        for t, step in enumerate(steps):
            for index, probability in step.items():
                out[t, index] = probability
        return out

    icon = line({1: 0.3, 3: 0.6}, {0: 0.9})  # "网" at 0.6, "O" at 0.3, then blank
    chinese = line({4: 0.98}, {5: 0.97})  # "中文", surely
    decoder = ScriptDecoder(Decoder())
    assert decoder.cjk_columns.tolist() == [3, 4, 5]
    forced, kept = decoder(np.stack([icon, chinese]))[0]
    assert forced == ("O", pytest.approx(0.3))
    assert kept == ("中文", pytest.approx(0.975))
    decoder.keep_cjk = True
    assert decoder(np.stack([icon]))[0] == [("网", pytest.approx(0.6))]


def test_short_low_score_lines_and_lone_scripts_are_dropped() -> None:
    box = (0, 0, 10, 10)
    lines = [
        TextLine("Le fichier est introuvable.", box, 0.99),
        TextLine("OK", box, 0.98),
        TextLine("R", box, 0.79),  # zenity's question icon
        TextLine("00", box, 0.6),  # openbox's title-bar buttons
        TextLine("Ελληνικά κείμενο εδώ", box, 0.7),  # a lone script, read badly
        TextLine("2041", box, 0.95),
    ]
    kept = [line.text for line in plausible(lines, keep_cjk=False)]
    assert kept == ["Le fichier est introuvable.", "OK", "2041"]
    # The user's own script is never lone: one line of it, read less surely, stays.
    assert [line.text for line in plausible([TextLine("Guardar cambios", box, 0.8)], False)]
    assert not plausible([TextLine("中文说明书", box, 0.8)], keep_cjk=False)
    assert plausible([TextLine("中文说明书", box, 0.8)], keep_cjk=True)
    assert script_of("año ¿qué?") == "latin" and script_of("中文") == "cjk" and script_of("12:30") == "common"
    assert is_cjk("网") and not is_cjk("ñ")


# Real GTK dialogs with their icons, under Xvfb and openbox, captured and read through the app.
XVFB_SIZE = (1024, 700)
DIALOGS = {
    "error": "No se encontró el archivo del año pasado.",
    "warning": "¿Quiere quitar la canción de Íñigo?",
    "info": "¡Listo! Se guardó la información.",
    "question": "¿Guardar los cambios en el menú?",
}
needs_zenity = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not all(map(shutil.which, ("zenity", "openbox", "dbus-daemon"))),
    reason="needs zenity, openbox and dbus (apt-get install zenity openbox dbus)",
)


@pytest.fixture(scope="module")
def zenity_desktop(xvfb) -> Iterator[dict[str, str]]:
    """openbox on the module's X server and a private session bus; the environment for zenity."""
    from tests.fixtures.desktops import start_session_bus, stop_process

    daemon, address = start_session_bus()
    env = {**os.environ, "DISPLAY": xvfb.display, "DBUS_SESSION_BUS_ADDRESS": address, "NO_AT_BRIDGE": "1"}
    manager = subprocess.Popen(["openbox", "--sm-disable"], env=env, stderr=subprocess.DEVNULL)
    try:
        yield env
    finally:
        stop_process(manager, grace=10)  # type: ignore[arg-type]
        stop_process(daemon)


def dialog_picture(
    env: dict[str, str], kind: str, title: str, text: str, last_line: str
) -> tuple[Image.Image, list[str]]:
    """A zenity dialog of `kind` captured once `last_line` of its text is read (GTK has drawn it), and
    the lines read on it for a Spanish user."""
    from assistant.capture.window import NoFocusedWindow, focused_window, grab_focused_window
    from tests.fixtures.desktops import stop_process

    dialog = subprocess.Popen(
        ["zenity", f"--{kind}", "--title", title, "--text", text],
        env=env,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    reader = TextReader()
    try:
        # The deadline is a hang guard only, sized for four test workers sharing two cores (30 s ran out
        # once there while the dialog was still starting).
        deadline = time.monotonic() + 120
        lines: list[str] = []
        while True:
            try:
                if focused_window().title == title:
                    _window, picture = grab_focused_window()
                    lines = reader.read(picture, language="es").lines
                    if last_line in lines:
                        return picture, lines
            except NoFocusedWindow:
                pass
            assert time.monotonic() < deadline, f"the dialog's text was never read; last read: {lines}"
            time.sleep(0.2)
    finally:
        stop_process(dialog)


@needs_zenity
@pytest.mark.parametrize("kind", list(DIALOGS))
def test_a_dialogs_icon_gives_no_phantom_characters(zenity_desktop, kind: str) -> None:
    title = f"Aviso {kind}"
    picture, _lines = dialog_picture(zenity_desktop, kind, title, DIALOGS[kind], DIALOGS[kind])
    buttons = ["No", "Yes"] if kind == "question" else ["OK"]
    reader = TextReader()
    for language in ("es", "en"):
        read = reader.read(picture, language=language)
        assert read.lines == [title, DIALOGS[kind], *buttons], (language, read.lines)


EXCLAMATIONS = [
    "¡Hola! ¿Qué tal?",
    "¡Atención!",
    "Hola, ¡qué bien! Ojo; ¡ya!",
    # English, where nothing may change: an "i" before a "!", a ";" that reaches below the line.
    "Mi iPhone dice: i! Hi! Wait; it's ok!",
    "Just do it! Yes; join in!",
]


@needs_zenity
@pytest.mark.slow  # a dialog read until GTK has drawn it: about 20 s on 2 shared cores
def test_the_opening_exclamation_mark_is_read_where_the_screen_shows_one(zenity_desktop) -> None:
    """The shipped recogniser's alphabet has no "¡": it read "Hola!" for "¡Hola!" and "iqué" for
    "¡qué". It is put back where the pixels show one, and nowhere else (assistant/ocr/marks.py)."""
    title = "Aviso exclamaciones"
    _picture, lines = dialog_picture(zenity_desktop, "info", title, "\n".join(EXCLAMATIONS), EXCLAMATIONS[-1])
    assert lines == [title, *EXCLAMATIONS, "OK"]
