"""Issue 21's part of `assistant bench --suite hostile`: memory against the number of pictures."""

from __future__ import annotations

import pytest

from assistant.bench.hostile2 import bench_pictures

# It measures peak memory over thousands of pictures: seconds, so the full run only.
pytestmark = pytest.mark.slow


def test_peak_memory_stays_flat_as_pictures_grow() -> None:
    # 200 distinct 600x600 pictures are 216 MB decoded; the run holds one batch of them at a time.
    results = bench_pictures(counts=(8, 200), size=(600, 600))
    few, many = (figures for figures in results.values())
    assert "error" not in few and "error" not in many, results
    assert few["written"] and many["written"]
    assert many["peak_mb"] - few["peak_mb"] < 60, results
