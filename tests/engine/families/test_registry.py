"""The family is read from config.json before anything is loaded or prepared."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.engine import load_engine, quantized
from assistant.engine.families import UnknownFamily, families, family_of


@pytest.fixture
def unknown_checkpoint(tiny_model_dir, tmp_path):
    """The tiny BLIP-2's files, its config saying it is a model of a family we do not run."""
    folder = shutil.copytree(tiny_model_dir, tmp_path / "unknown")
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["LlavaForConditionalGeneration"]
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_an_unknown_family_is_one_sentence_before_anything_is_prepared(
    unknown_checkpoint, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    with pytest.raises(UnknownFamily) as caught:
        load_engine(str(unknown_checkpoint), device="cpu", precision="int8", progress=False)
    message = str(caught.value)
    assert "LlavaForConditionalGeneration" in message and "BLIP-2" in message
    assert all(family.name in message for family in families())
    assert "\n" not in message and message.endswith(".")
    assert not (tmp_path / "cache").exists()  # nothing was prepared or cached


def test_a_config_without_architectures_is_one_sentence(unknown_checkpoint) -> None:
    config = json.loads((unknown_checkpoint / "config.json").read_text())
    del config["architectures"]
    (unknown_checkpoint / "config.json").write_text(json.dumps(config))
    with pytest.raises(UnknownFamily, match="does not say what kind of model it is"):
        family_of(unknown_checkpoint)


def test_every_blip2_checkpoint_is_the_blip2_family(tiny_model_dir, tiny_t5_model_dir) -> None:
    assert family_of(tiny_model_dir).name == family_of(tiny_t5_model_dir).name == "BLIP-2"


def test_a_hub_model_of_an_unknown_family_is_refused_before_its_weights_download(
    tmp_path, monkeypatch
) -> None:
    import huggingface_hub

    from assistant.engine import models

    config_folder = tmp_path / "config-only"
    config_folder.mkdir()
    (config_folder / "config.json").write_text(
        json.dumps({"architectures": ["LlavaForConditionalGeneration"]})
    )
    downloads: list[list[str] | None] = []

    def snapshot_download(model: str, allow_patterns: list[str] | None = None, **options: object) -> str:
        downloads.append(allow_patterns)
        return str(config_folder)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(models, "cached_path", lambda model: None)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    with pytest.raises(UnknownFamily, match="LlavaForConditionalGeneration"):
        load_engine("owner/llava-model", device="cpu", precision="int8", progress=False)
    assert downloads == [["config.json"]]  # the weights were never asked for


def config_only(folder, config: dict) -> object:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    "config", [{"architectures": ["LlavaForConditionalGeneration"]}, {"model_type": "llava"}]
)
def test_the_command_line_points_at_assistant_models_and_the_app_at_settings(tmp_path, config) -> None:
    with pytest.raises(UnknownFamily) as caught:
        family_of(config_only(tmp_path / "unknown", config))
    for sentence in (str(caught.value), caught.value.for_app()):
        assert "\n" not in sentence and sentence.count(". ") == 0 and sentence.endswith(".")
        assert all(family.name in sentence for family in families())
    assert str(caught.value).endswith("): see assistant models.")
    assert caught.value.for_app().endswith(") in Settings, under Descriptions, Model.")


def test_the_command_says_its_own_sentence(tmp_path, capsys) -> None:
    from PIL import Image

    from assistant.cli import main

    folder = config_only(tmp_path / "unknown", {"architectures": ["LlavaForConditionalGeneration"]})
    Image.radial_gradient("L").convert("RGB").save(tmp_path / "picture.png")  # not blank: it is described
    code = main(["describe", str(tmp_path / "picture.png"), "--model", str(folder), "--device", "cpu"])
    error = capsys.readouterr().err
    assert code == 1 and "LlavaForConditionalGeneration" in error and "see assistant models." in error
    assert "Settings" not in error
