"""A change of the image-token budget in Settings loads the model again with the new budget, as a change
of the model does."""

from __future__ import annotations

import dataclasses


def test_the_model_is_loaded_again_with_the_new_budget(qtbot, make_controller, tiny_engine) -> None:
    budgets: list[int] = []

    def counted_load(spec, on_progress):
        budgets.append(spec.image_tokens)
        return tiny_engine

    controller, recorded = make_controller(load=counted_load)
    qtbot.waitUntil(lambda: "Ready." in recorded.texts(), timeout=20000)
    assert budgets == [0]
    controller.apply_settings(dataclasses.replace(controller.settings, image_tokens=140))
    qtbot.waitUntil(lambda: len(budgets) == 2, timeout=20000)
    assert budgets == [0, 140]
    assert "image_tokens = 140" in controller.settings_path.read_text()
