"""Engine tests run the tiny model, whose matrices are too small to share between threads."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """One thread: faster for tiny matrices, and no spinning threads when the machine is busy."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
