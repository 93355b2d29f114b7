"""Settings that change the model (the model, its image-token budget, the model server: its address, its
model, the answer about a remote one) load it again on Apply; other changes do not."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.fixture
def loads(qtbot, make_controller, tiny_engine):
    """A running controller whose every model load is recorded by the settings it was asked for."""
    specs: list = []

    def counted_load(spec, on_progress):
        specs.append(spec)
        return tiny_engine

    controller, recorded = make_controller(load=counted_load)
    qtbot.waitUntil(lambda: "Ready." in recorded.texts(), timeout=20000)
    assert len(specs) == 1
    return controller, specs


def apply_and_wait(qtbot, controller, specs: list, **change) -> None:
    before = len(specs)
    controller.apply_settings(dataclasses.replace(controller.settings, **change))
    qtbot.waitUntil(lambda: len(specs) == before + 1, timeout=20000)


def test_the_model_is_loaded_again_with_the_new_budget(qtbot, loads) -> None:
    controller, specs = loads
    apply_and_wait(qtbot, controller, specs, image_tokens=140)
    assert [spec.image_tokens for spec in specs] == [0, 140]
    assert "image_tokens = 140" in controller.settings_path.read_text()


def test_the_engine_is_built_again_when_the_server_changes(qtbot, loads) -> None:
    controller, specs = loads
    changes = [
        {"server": "http://localhost:11434"},
        {"server_model": "qwen3.5:2b"},
        {"server": "https://192.0.2.10", "allowed_server": "https://192.0.2.10"},
    ]
    for change in changes:
        apply_and_wait(qtbot, controller, specs, **change)
    assert len(specs) == len(changes) + 1


def test_a_change_that_is_not_the_models_loads_nothing(qtbot, loads) -> None:
    controller, specs = loads
    controller.apply_settings(dataclasses.replace(controller.settings, detail="detailed"))
    # Loads run one after another on the model's own thread, so a load asked for by the change above
    # would be recorded before the one this budget change asks for.
    apply_and_wait(qtbot, controller, specs, image_tokens=140)
    assert [spec.image_tokens for spec in specs] == [0, 140]
