"""A change of the model server in Settings (its address, its model, the answer about a remote one) builds
the engine again, as a change of the local model does; other changes do not."""

from __future__ import annotations

import dataclasses


def test_the_engine_is_built_again_when_the_server_changes(qtbot, make_controller, tiny_engine) -> None:
    loads: list[str] = []

    def counted_load(spec, on_progress):
        loads.append(spec.model)
        return tiny_engine

    controller, recorded = make_controller(load=counted_load)
    qtbot.waitUntil(lambda: "Ready." in recorded.texts(), timeout=20000)
    assert len(loads) == 1
    changes = [
        {"server": "http://localhost:11434"},
        {"server_model": "qwen3.5:2b"},
        {"server": "https://192.0.2.10", "allowed_server": "https://192.0.2.10"},
    ]
    for number, change in enumerate(changes, start=2):
        controller.apply_settings(dataclasses.replace(controller.settings, **change))
        qtbot.waitUntil(lambda number=number: len(loads) == number, timeout=20000)
    controller.apply_settings(dataclasses.replace(controller.settings, detail="detailed"))
    qtbot.wait(300)
    assert len(loads) == len(changes) + 1
