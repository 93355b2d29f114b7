"""What a screen reader is told of the app's names as its windows are built (AT-SPI name-change events,
on Xvfb, under LANGUAGE=es): no name keeps a mnemonic's "&". A label gives its name as its text is set,
and a label given its field only afterwards gave it with the "&" in: a real Orca 51 kept that name and
read out "&1 Describir pantalla:" and "Pre&gunta:" for the fields they label."""

from __future__ import annotations

import json
import re

import pytest
from e2e_harness import SYSTEM_PYTHON, atspi_listener, wait_for

pytestmark = pytest.mark.e2e

# Runs in Debian's Python, where pyatspi is: each name the app's objects are given, one JSON line each.
NAME_LISTENER = """
import json, sys
try:
    import pyatspi
except ImportError:
    sys.exit("pyatspi is missing")

def heard(event):
    print(json.dumps({"role": event.source.getRoleName(), "name": str(event.any_data)}), flush=True)

pyatspi.Registry.registerEventListener(heard, "object:property-change:accessible-name")
print(json.dumps({"role": "listening", "name": ""}), flush=True)
pyatspi.Registry.start()
"""
MNEMONIC = re.compile(r"(?<!&)&(?!&)")  # an & that is no "&&" (a written ampersand)


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs Debian's python3 with python3-pyatspi")
def test_no_name_a_screen_reader_is_given_keeps_a_mnemonics_ampersand(
    start_app, desktop, tmp_path, monkeypatch
):
    from tests.e2e.test_spanish import _said_first

    monkeypatch.setitem(desktop.env, "LANGUAGE", "es")  # and no tray: the app shows its own window
    with atspi_listener(NAME_LISTENER, desktop.env, tmp_path) as heard:
        app = start_app(wait_ready=_said_first("Listo."))
        app.wait_window("Asistente")
        app.trigger("ask")
        app.wait_window("Preguntar sobre la imagen")
        app.key("Escape")
        app.trigger("settings")
        app.wait_window("Configuración")

        def names() -> list[dict]:
            return [json.loads(line) for line in heard.read_text().splitlines()[1:]]

        # The Settings window's last field's label: every label before it has been given its name.
        wait_for(lambda: any("captu" in n["name"] for n in names()), 15, "the Settings window's names")
    labels = [n["name"] for n in names() if n["role"] == "label"]
    assert any(name.replace("&", "").startswith("Pregunta") for name in labels), labels
    assert [n for n in names() if MNEMONIC.search(n["name"])] == []
