"""What the running app says when its model cannot load: a place in the app (Settings), never a command
to type, since its user may have no terminal open; the address of a model server that is none is named
as on the command line. The real controller, its model thread and its speech."""

from __future__ import annotations

from assistant.config import Settings
from assistant.engine import load_engine
from assistant.ui.app import load_model, server_for


def first_said(qtbot, make_controller, load) -> str:
    controller, recorded = make_controller(load)
    qtbot.waitUntil(lambda: len(recorded.texts()) == 1, timeout=20000)
    said: str = recorded.texts()[0]
    assert controller.status == said
    return said


def test_a_failure_nobody_foresaw_points_at_settings(qtbot, make_controller) -> None:
    def load(spec, on_progress):
        raise RuntimeError("something inside a library")

    said = first_said(qtbot, make_controller, load)
    assert said == (
        "The model could not be loaded; try another model, device or precision in Settings, under Descriptions."
    )


def test_an_unreadable_model_points_at_settings_model_list(qtbot, make_controller, tmp_path) -> None:
    (tmp_path / "config.json").write_text("{ not json", encoding="utf-8")

    def load(spec, on_progress):
        return load_engine(str(tmp_path), device="cpu", precision="fp32", progress=False)

    said = first_said(qtbot, make_controller, load)
    assert said.startswith(f"The model in {tmp_path} could not be loaded (")
    assert said.endswith("); choose another model in Settings, under Descriptions, Model.")


def test_a_server_address_that_is_none_is_named(qtbot, make_controller) -> None:
    chosen = server_for(Settings(server="notaurl"))  # as a settings file or `run --server notaurl` sets it

    def load(spec, on_progress):
        return load_model(spec, on_progress, chosen)

    assert first_said(qtbot, make_controller, load) == (
        "“notaurl” is not a model server's address; "
        "give one such as http://127.0.0.1:11434/v1 (Ollama) or https://example.org/v1."
    )
