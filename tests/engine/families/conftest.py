"""Tiny random checkpoints of each family, saved with save_pretrained and loaded as real ones are."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_qwen_dir(tmp_path_factory):
    from tiny_checkpoints.qwen3_5 import build_tiny_qwen3_5

    return build_tiny_qwen3_5(tmp_path_factory.mktemp("tiny-qwen3_5"))


@pytest.fixture(scope="session")
def tiny_qwen_engine(tiny_qwen_dir):
    from assistant.engine import load_engine

    return load_engine(str(tiny_qwen_dir), device="cpu", precision="fp32", progress=False)
