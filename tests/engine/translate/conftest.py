from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_checkpoints import marian


@pytest.fixture(scope="package")
def marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One random checkpoint serves both directions: only the path through the model is tested.
    return marian.build(tmp_path_factory.mktemp("marian") / "opus-mt-tiny")
