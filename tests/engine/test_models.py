"""Where models live: parameter counts, local folders, and the sentences said when a model is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.engine import load_engine, loading
from assistant.engine.base import EngineError
from assistant.engine.models import (
    ALLOW_PATTERNS,
    DEFAULT_MODEL,
    ModelNotAvailable,
    cached_path,
    count_parameters,
    ensure_model,
)


def assert_one_sentence(message: str) -> None:
    assert "Traceback" not in message and "Error" not in message
    assert "\n" not in message
    assert len(message) < 300


def test_count_parameters_matches_the_loaded_model(tiny_model_dir, tiny_engine) -> None:
    real = sum(parameter.numel() for parameter in tiny_engine.model.parameters())
    assert count_parameters(tiny_model_dir) == real


def test_count_parameters_of_the_t5_variant(tiny_t5_model_dir) -> None:
    from transformers import Blip2ForConditionalGeneration

    model = Blip2ForConditionalGeneration.from_pretrained(tiny_t5_model_dir)
    assert count_parameters(tiny_t5_model_dir) == sum(p.numel() for p in model.parameters())


NO_SHAPE = b'{"w": {"dtype": "F32", "data_offsets": [0, 4]}}'  # a tensor whose size the header does not say


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x05",
        b"\xff" * 8 + b"{}",
        b"\x02\x00\x00\x00\x00\x00\x00\x00[]",
        len(NO_SHAPE).to_bytes(8, "little") + NO_SHAPE + bytes(4),
    ],
)
def test_count_parameters_of_a_damaged_file_is_a_sentence(tmp_path, content: bytes) -> None:
    (tmp_path / "model.safetensors").write_bytes(content)
    with pytest.raises(ModelNotAvailable) as caught:
        count_parameters(tmp_path)
    assert str(caught.value) == (
        f"The model in {tmp_path} is damaged (model.safetensors is incomplete or unreadable); copy its files "
        "there again, or use a downloaded model (see: assistant models)."
    )


@pytest.fixture
def truncated_model(tmp_path, tiny_model_dir) -> Path:
    """The tiny model with its weights cut short after the header, as a copy or download cut off leaves it."""
    import shutil

    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    weights = folder / "model.safetensors"
    os.truncate(weights, weights.stat().st_size // 2)
    return folder


def test_weights_cut_short_are_refused_before_loading(truncated_model) -> None:
    with pytest.raises(ModelNotAvailable) as caught:
        load_engine(str(truncated_model), device="cpu", precision="fp32")
    assert str(caught.value) == (
        f"The model in {truncated_model} is damaged (model.safetensors is incomplete or unreadable); "
        "copy its files there again, or use a downloaded model (see: assistant models)."
    )


def test_weights_cut_short_that_pass_the_header_check_are_a_sentence_too(
    truncated_model, monkeypatch
) -> None:
    monkeypatch.setattr(loading, "count_parameters", lambda folder: 1_000_000)  # as if the check missed it
    with pytest.raises(ModelNotAvailable) as caught:
        load_engine(str(truncated_model), device="cpu", precision="fp32")
    assert str(caught.value).startswith(f"The model in {truncated_model} is damaged (a weights file is ")


def test_a_damaged_download_names_the_command_that_fetches_it_anew(tmp_path, tiny_model_dir) -> None:
    import shutil

    snapshot = tmp_path / "hub" / "models--owner--some-model" / "snapshots" / "0123abcd"
    shutil.copytree(tiny_model_dir, snapshot)
    weights = snapshot / "model.safetensors"
    os.truncate(weights, weights.stat().st_size - 1)
    with pytest.raises(ModelNotAvailable) as caught:
        count_parameters(snapshot)
    assert str(caught.value) == (
        "The model owner/some-model is damaged (model.safetensors is incomplete or unreadable); "
        "download it again with: assistant models download --again owner/some-model"
    )


def test_downloading_again_fetches_every_file_anew(tmp_path, tiny_model_dir, monkeypatch, capsys) -> None:
    import huggingface_hub

    calls: list[dict] = []

    def fake_snapshot_download(model, **options):
        calls.append({"model": model, **options})
        return str(tiny_model_dir)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    from assistant.cli import main

    assert main(["models", "download", "--again", "owner/some-model"]) == 0
    assert calls == [{"model": "owner/some-model", "allow_patterns": ALLOW_PATTERNS, "force_download": True}]
    assert capsys.readouterr().out == f"owner/some-model is downloaded to {tiny_model_dir}.\n"


def test_a_local_folder_is_used_as_it_is(tiny_model_dir) -> None:
    assert ensure_model(str(tiny_model_dir)) == tiny_model_dir
    assert cached_path(str(tiny_model_dir)) == tiny_model_dir


def test_a_missing_folder_is_named(tmp_path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(str(missing))
    message = str(caught.value)
    assert "does not exist" in message and str(missing) in message
    assert_one_sentence(message)


def test_a_folder_without_config_is_refused(tmp_path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(str(tmp_path))
    message = str(caught.value)
    assert "config.json is missing" in message and str(tmp_path) in message
    assert_one_sentence(message)


@pytest.mark.parametrize("name", ["not a model", "a/b/c", "bad//name"])
@pytest.mark.parametrize("offline", [True, False])
def test_a_name_that_is_neither_folder_nor_hub_id_is_a_sentence(name, offline, hub) -> None:
    hub(offline=offline)
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(name, progress=False)
    message = str(caught.value)
    assert message.startswith(f"{name} is neither a model folder nor a Hugging Face model id")
    assert_one_sentence(message)


def test_offline_and_not_downloaded(hub) -> None:
    home = hub(offline=True)
    assert cached_path(DEFAULT_MODEL) is None
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(DEFAULT_MODEL, progress=False)
    message = str(caught.value)
    assert isinstance(caught.value, EngineError)
    assert f"The model {DEFAULT_MODEL} is not downloaded" in message
    assert "Unset HF_HUB_OFFLINE" in message
    assert f"assistant models download {DEFAULT_MODEL}" in message
    assert_one_sentence(message)
    assert not any(home.rglob("*.safetensors"))


def test_hub_unreachable(hub) -> None:
    hub(offline=False)
    assert cached_path(DEFAULT_MODEL) is None
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(DEFAULT_MODEL, progress=False)
    message = str(caught.value)
    assert "cannot be reached" in message or "failed" in message
    assert "Connect to the internet" in message
    assert f"assistant models download {DEFAULT_MODEL}" in message
    assert_one_sentence(message)


def test_hub_unreachable_while_checking_the_family_says_one_sentence_and_nothing_else(
    hub, capfd, caplog
) -> None:
    """The family check fetches config.json first; a hub that cannot be reached must not print the hub
    library's retry lines (five of them, 23 s of waiting) before the sentence."""
    hub(offline=False)
    checked: list[Path] = []
    with pytest.raises(ModelNotAvailable) as caught:
        ensure_model(DEFAULT_MODEL, progress=False, check=checked.append)
    assert "cannot be reached" in str(caught.value)
    assert checked == []
    printed = capfd.readouterr()
    assert "Retry" not in printed.err + printed.out + caplog.text
