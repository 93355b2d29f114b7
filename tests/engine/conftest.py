"""Engine tests run the tiny model, whose matrices are too small to share between threads."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """One thread: faster for tiny matrices, and no spinning threads when the machine is busy."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there, so a connection fails at once


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty Hugging Face cache and a hub that cannot be reached; `hub(offline=True)` sets HF_HUB_OFFLINE.

    huggingface_hub reads these variables once, when it is first imported (here, long before this test),
    so its already imported settings are pointed at them too.
    """
    import huggingface_hub.constants as hub_constants

    home = tmp_path / "hf-home"

    def configure(offline: bool) -> Path:
        monkeypatch.setenv("HF_HOME", str(home))
        monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
        monkeypatch.setenv("HF_ENDPOINT", UNREACHABLE)
        if offline:
            monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        else:
            monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(home / "hub"))
        monkeypatch.setattr(hub_constants, "ENDPOINT", UNREACHABLE)
        monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", offline)
        return home

    return configure
