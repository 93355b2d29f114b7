"""A model that cannot be had or loaded: the command line's sentence names the command that fixes it, the
app's (windows, tray, speech: `for_app`) names the place in the app instead, Settings' Model list under
Descriptions, since the app's user has no command line in front of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.engine import loading
from assistant.engine.families import family_of
from assistant.engine.models import DEFAULT_MODEL, ModelNotAvailable, damaged_model, ensure_model
from assistant.errors import UserError

SETTINGS_MODEL = "in Settings, under Descriptions, Model."
COMMAND = re.compile(r"\bassistant (models|doctor|run|trigger)\b|--again|\brun:|`")


def assert_for_the_app(error: UserError) -> str:
    """The app's sentence: no command in it, Settings' Model list at its end; returns it."""
    said = error.for_app()
    assert not COMMAND.search(said), said
    assert said.endswith(SETTINGS_MODEL), said
    assert said != str(error)
    return said


def test_not_downloaded_and_offline(hub) -> None:
    hub(offline=True)
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(DEFAULT_MODEL, progress=False)
    assert str(caught.value).endswith(f"then run: assistant models download {DEFAULT_MODEL}")
    said = assert_for_the_app(caught.value)
    assert said == (
        f"The model {DEFAULT_MODEL} is not downloaded and HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE and "
        "start the assistant again, which downloads it, or choose a downloaded model in Settings, under "
        "Descriptions, Model."
    )


def test_not_downloaded_and_the_hub_unreachable(hub) -> None:
    hub(offline=False)
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(DEFAULT_MODEL, progress=False)
    assert str(caught.value).endswith(
        f"Connect to the internet once and run: assistant models download {DEFAULT_MODEL}"
    )
    said = assert_for_the_app(caught.value)
    assert said.endswith(
        "Connect to the internet and start the assistant again, which downloads it, or choose a downloaded "
        "model in Settings, under Descriptions, Model."
    )


def test_a_damaged_download(tmp_path) -> None:
    snapshot = tmp_path / "hub" / "models--owner--some-model" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    error = damaged_model(snapshot, "model.safetensors")
    assert str(error).endswith("download it again with: assistant models download --again owner/some-model")
    assert assert_for_the_app(error) == (
        "The model owner/some-model is damaged (model.safetensors is incomplete or unreadable); choose "
        "another model in Settings, under Descriptions, Model."
    )


def test_a_damaged_folder(tmp_path) -> None:
    error = damaged_model(tmp_path, "model.safetensors")
    assert str(error).endswith("or use a downloaded model (see: assistant models).")
    assert assert_for_the_app(error) == (
        f"The model in {tmp_path} is damaged (model.safetensors is incomplete or unreadable); copy its files "
        "there again, or choose a downloaded model in Settings, under Descriptions, Model."
    )


def test_an_unreadable_configuration(tmp_path) -> None:
    (tmp_path / "config.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        family_of(tmp_path)
    assert str(caught.value).endswith("). Download it again with: assistant models download")
    said = assert_for_the_app(caught.value)
    assert said.startswith(f"The model in {tmp_path} could not be loaded (")
    assert said.endswith("); choose another model in Settings, under Descriptions, Model.")


def test_weights_the_loader_cannot_read(tmp_path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["Blip2ForConditionalGeneration"]}))

    def load(runtime: object, on_notice: object) -> None:
        raise OSError("Unable to load weights from the checkpoint\nsecond line")

    with pytest.raises(UserError) as caught:
        loading.start(Path(tmp_path), "cpu", "fp32", load)  # type: ignore[arg-type]
    assert str(caught.value).endswith("). Download it again with: assistant models download")
    assert assert_for_the_app(caught.value) == (
        f"The model in {tmp_path} could not be loaded (Unable to load weights from the checkpoint); choose "
        "another model in Settings, under Descriptions, Model."
    )


def test_in_spanish_the_app_names_settings_and_the_command_line_its_command(spanish, hub, tmp_path) -> None:
    hub(offline=True)
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(DEFAULT_MODEL, progress=False)
    assert str(caught.value).endswith(f"ejecuta: assistant models download {DEFAULT_MODEL}")
    said = caught.value.for_app()
    assert said.endswith("elige un modelo descargado en Configuración, en Descripciones, Modelo.")
    assert not COMMAND.search(said)
    damaged = damaged_model(tmp_path, "model.safetensors")
    assert damaged.for_app().endswith(
        "elige un modelo descargado en Configuración, en Descripciones, Modelo."
    )
