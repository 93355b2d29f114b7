"""The running app under LANGUAGE=es as a screen reader sees it (a11y-tree over AT-SPI, on Xvfb): the
window shown without a tray, the conversation dialog, Settings (all of its pages), the region chooser and
the desktop set-up window have every accessible name and description in Spanish: each is a Spanish
message of the catalogue (placeholders filled), and no English word is left. Mnemonics are tried from
the keyboard (xdotool alt+LETTER): the control they name gets the focus."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import i18n_catalogue as catalogue
import pytest
from babel import Locale

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_harness import A11Y_TREE, RunningApp, accessible_trees, wait_for

from assistant.engine.catalogue import known
from assistant.speech.voices import parse_espeak_voices
from tests.e2e.conftest import desktop, start_app  # noqa: F401 (the e2e tests' fixtures)

TOOLS = ("Xvfb", "xdotool", "dbus-daemon", "setxkbmap")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not all(map(shutil.which, TOOLS)), reason=f"needs {', '.join(TOOLS)}"),
    pytest.mark.skipif(
        not A11Y_TREE.exists() or not Path("/usr/bin/python3").exists(), reason="needs a11y-tree"
    ),
]

# Words of the English messages a Spanish user must never hear from these windows (Qt's own buttons
# and the names of languages included).
ENGLISH_WORDS = set(
    """ok cancel apply close settings ask question speak voice model ready quit stop screen image
    picture text translate answers choose region status messages conversation copy save capture new the
    and with your my into when spanish english language rate volume detail device precision microphone
    speech shortcut keyboard set up not now""".split()  # noqa: SIM905 (a list of words, read as one)
)
# What the app shows that is not its own words: the folder of the test's model, and Whisper's model sizes.
NOT_MESSAGES = re.compile(r"^(tiny|base|small)$")
# A list of names that are not the app's words: the languages the assistant can be shown in, each named
# in itself ("English", "Español").
OWN_NAMES = {"Opciones de Idioma del asistente"}
# The voices' list: each voice named by its language as CLDR names it in Spanish ("inglés (Reino Unido)"),
# or by espeak-ng's own name where CLDR names none of its languages (Quenya); either may end in the
# voice's file (" — gmw/en-GB-x-rp"), which tells apart two voices of one language.
VOICES = "Opciones de Voz"
SPANISH_LANGUAGES = set(Locale("es").languages.values())


def _unnamed_voices() -> set[str]:
    if not shutil.which("espeak-ng"):
        return set()
    listing = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=False).stdout
    return {
        voice.name
        for voice in parse_espeak_voices(listing)
        if not any(tag.split("-")[0].lower() in Locale("es").languages for tag in voice.languages)
    }


def _a_voice(shown: str) -> bool:
    name = re.sub(r" — [\w/-]+$", "", shown)
    return name.split(" (")[0] in SPANISH_LANGUAGES or name in UNNAMED_VOICES


UNNAMED_VOICES = _unnamed_voices()
HOTKEY = re.compile(r" \((Ctrl|Alt|Mayús|Shift|Super)\+[^()]+\)$")  # a button's hotkey, after its description
SETUP_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication
from assistant import i18n
app = QApplication(["assistant-desktop-setup"])
i18n.setup()
from assistant.ui.desktop_setup import CaptureSetupPrompt
prompt = CaptureSetupPrompt("portal")
prompt.show()
print("ready", flush=True)
app.exec()
"""


def _walk(node: dict, parent: dict | None = None) -> Iterator[tuple[dict, dict | None]]:
    yield node, parent
    for child in node["children"]:
        yield from _walk(child, node)


def _spanish_patterns() -> list[re.Pattern[str]]:
    """Each Spanish message as a pattern: its placeholders match any text, its mnemonic's & is gone."""
    po = catalogue.read(catalogue.LOCALE / "es" / "LC_MESSAGES" / "assistant.po", "es")
    patterns = []
    for message in po:
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            if message.id and text:
                plain = re.escape(text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…"))
                # A button's name leaves out its label's "…" (it opens a window).
                patterns.append(re.compile(re.sub(r"\\\{[^}]*\\\}", ".+", plain) + "…?", re.DOTALL))
    return patterns


PATTERNS = _spanish_patterns()


def _problems(trees: list[dict], model_dir: Path) -> list[str]:
    """Each name or description that holds an English word or is none of the catalogue's messages."""
    found = []
    for tree in trees:
        for node, parent in _walk(tree):
            if node["role"] == "application" or (parent is not None and parent["name"] in OWN_NAMES):
                continue
            for text in (node["name"], node["description"]):
                shown = text.replace(str(model_dir), "")
                # A known model's hub id (Settings' list of models) is a name, not the app's words.
                if not shown.strip() or NOT_MESSAGES.match(shown) or known(shown):
                    continue
                english = ENGLISH_WORDS & set(re.findall(r"[a-z]+", shown.lower()))
                if english:
                    found.append(f"{node['role']} {text!r}: English {sorted(english)}")
                elif parent is not None and parent["name"] == VOICES and _a_voice(shown):
                    continue
                elif not any(pattern.fullmatch(HOTKEY.sub("", shown)) for pattern in PATTERNS):
                    found.append(f"{node['role']} {text!r}: not a message of the Spanish catalogue")
    assert not found, "\n".join(found)
    return found


def _focused(app: RunningApp) -> dict | None:
    """The control with the keyboard focus (each combo box's current item says "focused" too)."""
    nodes = [n for tree in accessible_trees(app) for n, _ in _walk(tree) if n["focused"]]
    controls = [node for node in nodes if node["showing"] and node["role"] != "list item"]
    return controls[0] if controls else None


def _alt(app: RunningApp, window: str, letter: str, role: str, name: str) -> None:
    """In the window titled `window`, Alt+`letter` puts the focus on the control `role` named `name`."""
    app.run("xdotool", "windowfocus", "--sync", app.wait_window(window), check=True)  # no window manager
    app.key(f"alt+{letter}")

    def reached() -> bool:
        node = _focused(app)
        return node is not None and node["role"] == role and node["name"] == name

    wait_for(reached, 15, f"alt+{letter} reaching the {role} {name!r}", interval=0.5)


def test_every_window_a_screen_reader_reaches_is_spanish_and_its_alt_keys_work(
    start_app,  # noqa: F811 (the fixture imported above)
    desktop,  # noqa: F811
    monkeypatch,
    tiny_model_dir,
):
    from tests.e2e.test_spanish import _said_first

    monkeypatch.setitem(desktop.env, "LANGUAGE", "es")  # and no tray: the app shows its own window
    app = start_app(wait_ready=_said_first("Listo."))
    app.wait_window("Asistente")
    trees = accessible_trees(app)
    assert any(node["name"] == "Describir pantalla" for tree in trees for node, _ in _walk(tree))
    assert not _problems(trees, tiny_model_dir)
    _alt(app, "Asistente", "m", "text", "Mensajes")

    app.trigger("ask")
    app.wait_window("Preguntar sobre la imagen")
    trees = accessible_trees(app)
    assert any(node["name"] == "Preguntar sobre la imagen" for tree in trees for node, _ in _walk(tree))
    assert not _problems(trees, tiny_model_dir)
    _alt(app, "Preguntar sobre", "g", "text", "Pregunta")
    _alt(app, "Preguntar sobre", "o", "list", "Conversación")
    app.key("Escape")

    app.trigger("settings")
    app.wait_window("Configuración")
    trees = accessible_trees(app)
    names = {node["name"] for tree in trees for node, _ in _walk(tree)}
    # Every page of Settings is in the tree, and OK, Apply and Cancel are the app's Spanish (not Qt's).
    assert {"Atajos de teclado", "Voz", "Descripciones", "Preguntas habladas", "Captura de pantalla"} <= names
    assert {"Aceptar", "Cancelar", "Aplicar"} <= names
    assert not _problems(trees, tiny_model_dir)
    # The Alt key "Traducir las respuestas…" lacked: Ñ, from a Spanish keyboard (xdotool's borrowed key
    # for a letter its keymap lacks reaches Qt as no key). The display is this module's own.
    app.run("setxkbmap", "es", check=True)
    _alt(app, "Configuración", "ntilde", "check box", "Traducir las respuestas a mi idioma")
    _alt(app, "Configuración", "v", "combo box", "Predeterminado del sistema")  # Voz
    app.key("Escape")

    app.trigger("describe-region")
    app.wait_window("Elige una zona")
    trees = accessible_trees(app)
    assert any(
        node["name"] == "Selector de zona" and node["description"] for t in trees for node, _ in _walk(t)
    )
    assert not _problems(trees, tiny_model_dir)
    app.key("Escape")

    # The desktop set-up window (shown first on a Wayland desktop whose capture asks first), built by
    # the app's own class on this desktop.
    setup = subprocess.Popen(
        [sys.executable, "-c", SETUP_WINDOW], env=app.env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert setup.stdout is not None and setup.stdout.readline().strip() == "ready"
        app.wait_window("Configurar la captura de pantalla")
        trees = [t for t in accessible_trees(app) if t["name"] == "assistant-desktop-setup"]
        names = {node["name"] for tree in trees for node, _ in _walk(tree)}
        assert {"Configurar la captura de pantalla", "Ahora no"} <= names, names
        assert not _problems(trees, tiny_model_dir)
    finally:
        setup.terminate()
        setup.wait(10)
