import pytest

from assistant.bench.ocr import TARGETS, bench_ocr
from assistant.bench.samples import accuracy_samples
from assistant.ocr.reader import default_backend

SMALL_SCREEN = (1280, 720)  # the same layouts as 1920x1080, at under half the pixels to read


@pytest.mark.slow
def test_the_ocr_suite_gives_every_figure_it_has_a_target_for() -> None:
    figures = bench_ocr(repeat=1, compare_defaults=False, screen=SMALL_SCREEN)
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


def test_the_samples_are_drawn_on_screens_of_the_size_asked() -> None:
    default, small = accuracy_samples(), accuracy_samples(SMALL_SCREEN)
    assert [sample.name for sample in small] == [sample.name for sample in default]
    assert {sample.image.size for sample in default if sample.name != "one window"} == {(1920, 1080)}
    assert {sample.image.size for sample in small if sample.name != "one window"} == {SMALL_SCREEN}
    # The window cut out of the desktop is the same window on either screen.
    assert [s.image.size for s in small if s.name == "one window"] == [(700, 400)]
