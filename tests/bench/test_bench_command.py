"""`assistant bench`: every figure measured, the comparison between precisions reported."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main


@pytest.mark.slow
def test_bench_compares_precisions_side_by_side(tiny_model_dir, tmp_path, capsys) -> None:
    out = tmp_path / "figures.json"
    argv = ["bench", "--model", str(tiny_model_dir), "--device", "cpu", "--compare", "fp32,bf16"]
    argv += ["--tokens", "4", "--batch", "2", "--repeat", "1", "--json", str(out)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert set(report["results"]) == {"fp32", "bf16"}
    for figures in report["results"].values():
        assert figures["describe_s"] > 0 and figures["bare_generate_s"] > 0
        assert figures["tokens_per_s"] > 0
        assert figures["batch_over_singles"] > 0
        assert figures["text_question_fresh_s"] > 0 and figures["text_followup_kept_s"] > 0
        assert figures["text_words"] == 444
    ratio = report["results"]["bf16"]["describe_s"] / report["results"]["fp32"]["describe_s"]
    assert report["bf16_over_fp32_describe"] == ratio
    printed = capsys.readouterr().out
    assert "bf16 over fp32, describe time" in printed
    assert "describe_over_bare_generate" in printed
    assert "text_followup_over_followup" in printed
    assert report["command"].startswith("assistant bench --suite engine --model")


def test_an_unknown_suite_is_one_sentence(tiny_model_dir, capsys) -> None:
    assert main(["bench", "--model", str(tiny_model_dir), "--suite", "speed"]) == 1
    assert "Unknown benchmark suite speed" in capsys.readouterr().err
