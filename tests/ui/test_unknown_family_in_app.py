"""The app names Settings' Model list for a model of a family it cannot run, not a command to type:
the running controller, loading through the real family check."""

from __future__ import annotations

import json

from ui_flow import picture

from assistant.engine import load_engine


def test_the_app_points_at_settings_for_a_model_it_cannot_run(qtbot, make_controller, tmp_path):
    folder = tmp_path / "unknown"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlavaForConditionalGeneration"]}))

    def load(spec, on_progress):
        return load_engine(str(folder), device="cpu", precision="fp32", progress=False)

    controller, recorded = make_controller(load)
    qtbot.waitUntil(lambda: len(recorded.texts()) == 1, timeout=20000)
    said = recorded.texts()[0]
    assert said.startswith("The model is a LlavaForConditionalGeneration, which this app cannot run;")
    assert said.endswith(") in Settings, under Descriptions, Model.") and "assistant models" not in said
    assert controller.status == said
    controller.describe(picture((1, 2, 3)))  # asked again: the same sentence
    qtbot.waitUntil(lambda: controller.current is None, timeout=20000)
    assert controller.status == said
