"""The basics have one place each: the default model's id is written once, where the settings are."""

from __future__ import annotations

from pathlib import Path

import assistant
from assistant import config, engine
from assistant.engine import models


def test_the_default_model_id_is_written_once_and_read_by_the_settings_and_the_engine() -> None:
    package = Path(assistant.__file__).parent
    quoted = f'"{config.DEFAULT_MODEL}"'
    written = [
        path.relative_to(package) for path in package.rglob("*.py") if quoted in path.read_text("utf-8")
    ]
    assert written == [Path("config.py")]
    assert config.Settings().model == config.DEFAULT_MODEL
    assert engine.DEFAULT_MODEL == models.DEFAULT_MODEL == config.DEFAULT_MODEL
