"""Issue 21: a model folder whose config.json or safetensors header is nested deeper than the JSON parser
follows is "damaged" in one sentence, never a RecursionError traceback."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

NESTED = b"[" * 100_000 + b"]" * 100_000


def describe_with(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    picture = tmp_path / "red.png"
    image = Image.new("RGB", (64, 64), (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, 32, 64))  # not blank, so the model is loaded
    image.save(picture)
    return subprocess.run(
        [sys.executable, "-m", "assistant", "describe", str(picture), "--no-ocr", "--model", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("part", ["config.json", "model.safetensors"])
def test_a_nested_model_file_is_damaged_in_one_sentence(tmp_path: Path, part: str) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    config = {"architectures": ["Blip2ForConditionalGeneration"], "model_type": "blip-2"}
    (folder / "config.json").write_bytes(NESTED if part == "config.json" else json.dumps(config).encode())
    header = (
        NESTED
        if part == "model.safetensors"
        else b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    )
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(4))
    result = describe_with(folder, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert f"is damaged ({part} is incomplete or unreadable)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
