"""`assistant run --model/--device/--precision/--server/--server-model/--speak-with/--image-tokens` are
for that run: the app uses them and Settings shows them, but the settings file keeps the user's own
choices; what the user changes in Settings, an overridden field included, is theirs and is saved."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from assistant.config import Settings, load_settings, save_settings
from assistant.ui.app import RunOptions, controller_for_run
from assistant.ui.earcons import Earcons

ON_FILE = Settings(
    model="Salesforce/blip2-opt-2.7b",
    device="auto",
    precision="auto",
    speak_with="screen-reader",
    server="http://127.0.0.1:11434/v1",
    server_model="file-model",
    rate=200,
)
# A short model name on purpose: Settings shows it as its hub id, which is no change of the user's.
RUN = RunOptions(
    model="smolvlm2-256m",
    device="cpu",
    precision="fp32",
    speak_with="both",
    server="http://127.0.0.1:9/v1",
    server_model="run-model",
)
OVERRIDDEN = ("model", "device", "precision", "speak_with", "server", "server_model")


def chosen(settings: Settings) -> tuple[object, ...]:
    return tuple(getattr(settings, name) for name in OVERRIDDEN)


def start(qtbot, path: Path, run: RunOptions, engine) -> tuple:
    """The app's controller as `assistant run` builds it with `run` over ON_FILE (saved at `path`), once
    its first load is asked for; every load's spec recorded."""
    save_settings(ON_FILE, path)
    specs: list = []

    def load(spec, on_progress):
        specs.append(spec)
        return engine

    controller = controller_for_run(load_settings(path)[0], run, Earcons(False), load, path)
    controller.start()
    qtbot.waitUntil(lambda: len(specs) == 1, timeout=20_000)
    return controller, specs


@pytest.fixture
def started(qtbot, tmp_path: Path, tiny_engine):
    """RUN over ON_FILE."""
    path = tmp_path / "settings.toml"
    controller, specs = start(qtbot, path, RUN, tiny_engine)
    yield controller, specs, path
    assert controller.shutdown(timeout=10)


def settings_dialog(qtbot, controller):
    controller.open_settings()
    dialog = controller.settings_flow.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def press_ok(dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def load_again(qtbot, controller, specs: list) -> None:
    """A change that loads the model again (its image budget), to see which model the app now uses: loads
    run one after another, so one asked for earlier would be recorded first."""
    before = len(specs)
    dialog = settings_dialog(qtbot, controller)
    dialog.image_budget.tokens.setValue(140)
    press_ok(dialog)
    qtbot.waitUntil(lambda: len(specs) > before, timeout=20_000)


def test_the_run_s_choices_are_in_effect_and_shown(qtbot, started) -> None:
    controller, specs, _path = started
    assert chosen(controller.settings) == chosen(RUN.over(ON_FILE))
    assert (specs[0].model, specs[0].device, specs[0].precision) == ("smolvlm2-256m", "cpu", "fp32")
    dialog = settings_dialog(qtbot, controller)
    shown = dialog.collect()
    assert (shown.model, shown.server, shown.speak_with) == (
        "HuggingFaceTB/SmolVLM2-256M-Video-Instruct",
        RUN.server,
        RUN.speak_with,
    )


def test_changing_the_rate_saves_the_rate_and_not_the_run_s_choices(qtbot, started) -> None:
    controller, specs, path = started
    dialog = settings_dialog(qtbot, controller)
    dialog.speech_box.rate.setValue(300)
    press_ok(dialog)
    kept = load_settings(path)[0]
    assert kept.rate == 300
    assert chosen(kept) == chosen(ON_FILE)  # not the run's model, device, precision, server or voice
    assert controller.settings.rate == 300
    assert chosen(controller.settings) == chosen(RUN.over(ON_FILE))  # the run's, until Quit
    load_again(qtbot, controller, specs)
    # The rate loaded nothing (the model shown as its hub id is not a new model); the run's model stays.
    assert [(spec.model, spec.image_tokens) for spec in specs] == [
        ("smolvlm2-256m", 0),
        ("smolvlm2-256m", 140),
    ]
    kept = load_settings(path)[0]
    assert (kept.rate, kept.image_tokens, chosen(kept)) == (300, 140, chosen(ON_FILE))


def test_changing_an_overridden_choice_in_settings_saves_it(qtbot, started) -> None:
    controller, specs, path = started
    dialog = settings_dialog(qtbot, controller)
    dialog.descriptions_box.model.setEditText("Qwen/Qwen3.5-0.8B")
    dialog.server_box.address.setText("http://127.0.0.1:8080/v1")
    press_ok(dialog)
    qtbot.waitUntil(lambda: len(specs) == 2, timeout=20_000)
    assert specs[1].model == "Qwen/Qwen3.5-0.8B"
    kept = load_settings(path)[0]
    assert (kept.model, kept.server) == ("Qwen/Qwen3.5-0.8B", "http://127.0.0.1:8080/v1")
    # What the user left alone is still the file's on file and the run's in effect.
    assert (kept.device, kept.server_model, kept.speak_with) == ("auto", "file-model", "screen-reader")
    assert (controller.settings.model, controller.settings.server) == (kept.model, kept.server)
    assert (controller.settings.device, controller.settings.speak_with) == ("cpu", "both")


def test_without_run_options_settings_save_what_they_show(qtbot, tmp_path: Path, tiny_engine) -> None:
    path = tmp_path / "settings.toml"
    controller = controller_for_run(Settings(), RunOptions(), Earcons(False), lambda s, p: tiny_engine, path)
    try:
        controller.apply_settings(dataclasses.replace(controller.settings, detail="detailed"))
        assert load_settings(path)[0] == Settings(detail="detailed")
    finally:
        assert controller.shutdown(timeout=10)


def test_a_remote_server_the_run_allowed_is_not_asked_about_again_nor_saved(
    qtbot, tmp_path: Path, tiny_engine, monkeypatch
) -> None:
    """`run --server REMOTE --allow-remote-server`: Settings asked on every OK, and a Yes saved the answer."""
    from assistant.ui.model_server_box import ModelServerBox

    monkeypatch.setattr(ModelServerBox, "ask", lambda *args: pytest.fail("asked again"))
    path = tmp_path / "settings.toml"
    save_settings(ON_FILE, path)
    run = RunOptions(server="https://192.0.2.10/v1", allow_remote_server=True)
    controller = controller_for_run(
        load_settings(path)[0], run, Earcons(False), lambda s, p: tiny_engine, path
    )
    try:
        dialog = settings_dialog(qtbot, controller)
        dialog.speech_box.rate.setValue(300)
        press_ok(dialog)
        kept = load_settings(path)[0]
        assert (kept.rate, kept.server, kept.allowed_server) == (300, ON_FILE.server, "")
        assert controller.settings.server == "https://192.0.2.10/v1"
    finally:
        assert controller.shutdown(timeout=10)


def test_the_run_s_image_budget_is_used_and_not_saved(qtbot, tmp_path: Path, tiny_engine) -> None:
    """`run --image-tokens N` was taken and then dropped: the app loaded with the settings' budget."""
    path = tmp_path / "settings.toml"
    controller, specs = start(qtbot, path, RunOptions(image_tokens=300), tiny_engine)
    try:
        assert specs[0].image_tokens == 300
        dialog = settings_dialog(qtbot, controller)
        dialog.speech_box.rate.setValue(300)
        press_ok(dialog)
        assert load_settings(path)[0].image_tokens == ON_FILE.image_tokens
    finally:
        assert controller.shutdown(timeout=10)


def test_the_command_line_gives_the_app_its_image_budget(monkeypatch) -> None:
    import assistant.ui.app
    from assistant.cli import main

    given: dict = {}
    monkeypatch.setattr(assistant.ui.app, "run_app", lambda **kwargs: given.update(kwargs) or 0)
    assert main(["run", "--image-tokens", "300"]) == 0
    assert given["image_tokens"] == 300
    assert main(["run"]) == 0
    assert given["image_tokens"] is None  # the settings' own
