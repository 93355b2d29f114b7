import pytest

from assistant.bench.ocr import TARGETS, bench_ocr
from assistant.ocr.reader import default_backend


@pytest.mark.slow
def test_the_ocr_suite_gives_every_figure_it_has_a_target_for() -> None:
    figures = bench_ocr(repeat=1, compare_defaults=False)
    for key, _, _ in TARGETS:
        assert figures[key] > 0
    assert figures["words_read_right"] >= 0.9
    assert figures["words_on_the_samples"] > 500
    assert figures["backend"] == default_backend()
    if figures["backend"] == "openvino":  # onnxruntime's figures beside its own, from the same run
        assert figures["onnxruntime_words_read_right"] >= 0.9
        assert figures["onnxruntime_full_screen_s"] > 0
    else:
        assert not [key for key in figures if key.startswith("onnxruntime_")]
