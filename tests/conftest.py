"""Shared fixtures: a tiny random BLIP-2 saved like a real checkpoint and loaded like one."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

# Nothing in the test suite may reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Prepared int8 models go to a folder of the test run's own, never the user's cache (subprocesses inherit it).
os.environ["ASSISTANT_CACHE_DIR"] = tempfile.mkdtemp(prefix="assistant-test-cache-")
atexit.register(shutil.rmtree, os.environ["ASSISTANT_CACHE_DIR"], ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random BLIP-2 (OPT language model) saved with save_pretrained."""
    from assistant.engine.synthetic import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-blip2-opt"))


@pytest.fixture(scope="session")
def tiny_t5_model_dir(tmp_path_factory):
    """A tiny random BLIP-2 with a Flan-T5-style (encoder-decoder) language model."""
    from assistant.engine.synthetic import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-blip2-t5"), language_model="t5")


@pytest.fixture(scope="session")
def tiny_engine(tiny_model_dir):
    """The tiny model loaded through the same path as real weights, on the CPU in fp32."""
    from assistant.engine import load_engine

    return load_engine(str(tiny_model_dir), device="cpu", precision="fp32")


@pytest.fixture(autouse=True)
def _own_state_folder(tmp_path_factory, monkeypatch):
    """The record of backups and the logs go to a folder of the test's own, never the user's."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
