"""`describe` with the text on the picture and blank pictures, `read-text`, through `assistant.cli.main`."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from assistant.bench.samples import dialog_on_desktop, window_alone, words_of
from assistant.cli import main
from assistant.engine.images import normalize_image


@pytest.fixture
def window_file(tmp_path) -> tuple[str, tuple[str, ...]]:
    sample = window_alone(dialog_on_desktop())
    path = tmp_path / "window.png"
    sample.image.save(path)
    return str(path), sample.lines


def test_read_text_prints_the_lines_in_order_without_a_model(capsys, window_file) -> None:
    path, lines = window_file
    assert main(["read-text", path]) == 0
    out = capsys.readouterr().out
    assert words_of(out) == words_of(" ".join(lines))
    assert main(["read-text", path, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["image"] == path and words_of(result["text_on_image"]) == words_of(" ".join(lines))


def test_read_text_of_a_broken_file_is_one_sentence(capsys, tmp_path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert main(["read-text", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.png" in err


@pytest.mark.parametrize(("colour", "name"), [("black", "black"), ((250, 250, 250), "white")])
def test_a_blank_picture_is_named_and_no_model_is_loaded(capsys, tmp_path, colour, name) -> None:
    path = tmp_path / "blank.png"
    Image.new("RGB", (800, 600), colour).save(path)
    # A model that cannot load would fail the command: it is never asked for.
    assert main(["describe", str(path), "--model", "/no/such/model", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["blank"] is True and result["colour"] == name
    assert result["text"] == f"The picture is blank: all {name}."
    assert main(["describe", str(path), "--model", "/no/such/model"]) == 0
    assert capsys.readouterr().out == f"The picture is blank: all {name}.\n"


@pytest.mark.slow
def test_describe_says_the_gist_then_the_text(capsys, window_file, tiny_model_dir, tiny_engine) -> None:
    path, lines = window_file
    model = ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
    assert main(["describe", path, *model, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    gist = tiny_engine.describe(normalize_image(path))
    assert result["text"] == gist and result["blank"] is False
    assert words_of(result["text_on_image"]) == words_of(" ".join(lines))
    assert main(["describe", path, *model]) == 0
    out = capsys.readouterr().out
    assert out.startswith(gist) and "Text on it: Save changes" in out
    assert main(["describe", path, *model, "--word-limit", "5"]) == 0
    out = capsys.readouterr().out
    total = len(" ".join(lines).split())
    assert out.rstrip().endswith(f"{total - 5} more words.")
    assert main(["describe", path, *model, "--no-ocr", "--json"]) == 0
    assert "text_on_image" not in json.loads(capsys.readouterr().out)
