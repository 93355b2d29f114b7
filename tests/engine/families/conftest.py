"""Tiny random checkpoints of each family, saved with save_pretrained and loaded as real ones are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Tiny:
    """A family's tiny checkpoint and what its tests need to know of it."""

    family: str
    folder: Path
    budgets: tuple[int, int]  # a small and a larger image-token budget that read a screen differently
    default_budget: int  # the most image tokens a screen becomes with the default budget


@pytest.fixture(scope="session")
def tiny_qwen_dir(tmp_path_factory) -> Path:
    from tiny_checkpoints.qwen3_5 import build_tiny_qwen3_5

    return build_tiny_qwen3_5(tmp_path_factory.mktemp("tiny-qwen3_5"))


@pytest.fixture(scope="session")
def tiny_smolvlm2_dir(tmp_path_factory) -> Path:
    from tiny_checkpoints.smolvlm import build_tiny_smolvlm

    return build_tiny_smolvlm(tmp_path_factory.mktemp("tiny-smolvlm2"), generation=2)


@pytest.fixture(scope="session")
def tiny_gemma4_dir(tmp_path_factory) -> Path:
    from tiny_checkpoints.gemma4 import build_tiny_gemma4

    return build_tiny_gemma4(tmp_path_factory.mktemp("tiny-gemma4"))


@pytest.fixture(scope="session", params=["Qwen3.5", "SmolVLM2", "Gemma 4"])
def tiny(request) -> Tiny:
    if request.param == "Qwen3.5":
        return Tiny("Qwen3.5", request.getfixturevalue("tiny_qwen_dir"), (16, 64), 192)
    if request.param == "Gemma 4":
        return Tiny("Gemma 4", request.getfixturevalue("tiny_gemma4_dir"), (70, 140), 280)
    from tiny_checkpoints.smolvlm import IMAGE_SEQ_LEN

    folder = request.getfixturevalue("tiny_smolvlm2_dir")
    return Tiny("SmolVLM2", folder, (IMAGE_SEQ_LEN, 10 * IMAGE_SEQ_LEN), IMAGE_SEQ_LEN)


@pytest.fixture(scope="session")
def tiny_engine_of(tiny):
    """The family's tiny checkpoint loaded through the same path as real weights, on the CPU in fp32."""
    from assistant.engine import load_engine

    return load_engine(str(tiny.folder), device="cpu", precision="fp32", progress=False)


@pytest.fixture(scope="session")
def tiny_qwen_engine(tiny_qwen_dir):
    from assistant.engine import load_engine

    return load_engine(str(tiny_qwen_dir), device="cpu", precision="fp32", progress=False)
