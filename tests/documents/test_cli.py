"""`assistant alt-text` end to end with the tiny random BLIP-2, plus OCR and the benchmark."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from doc_helpers import BLUE, RED, RecordingEngine, png
from PIL import Image, ImageDraw, ImageFont

import assistant.engine
from assistant.bench.documents import bench_documents
from assistant.cli import main
from assistant.documents.runner import Options, run


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "red.png").write_bytes(png(RED))
    (tmp_path / "blue.png").write_bytes(png(BLUE))
    (tmp_path / "page.html").write_text('<p><img src="red.png"> <img src="blue.png" alt=""></p>\n')
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.md").write_text("Logo: ![](../blue.png)\n")
    return tmp_path


def model_args(tiny_model_dir: Path) -> list[str]:
    return ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]


@pytest.mark.slow
def test_dry_run_shows_what_would_be_written(folder: Path, tiny_model_dir: Path, capsys) -> None:
    before = (folder / "page.html").read_bytes()
    assert main(["alt-text", str(folder), *model_args(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    assert str(folder / "page.html") in out and str(folder / "notes" / "readme.md") in out
    assert out.count("would write") == 1
    assert "The image file ../blue.png points outside the document's folder; use --allow-outside" in out
    assert "decorative" in out
    assert main(["alt-text", str(folder), "--allow-outside", *model_args(tiny_model_dir)]) == 0
    out = capsys.readouterr().out
    assert out.count("would write") == 2
    assert "Summary: 2 documents, 3 images, 2 would be written" in out
    assert (folder / "page.html").read_bytes() == before


@pytest.mark.slow
def test_write_with_json_and_csv_report(folder: Path, tiny_model_dir: Path, capsys) -> None:
    report_file = folder / "report.csv"
    args = ["alt-text", str(folder), "--write", "--json", "--report", str(report_file), "--max-length", "60"]
    args.append("--allow-outside")
    assert main([*args, *model_args(tiny_model_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["written"] == 2 and report["summary"]["failed"] is False
    written = [image["new_alt"] for doc in report["documents"] for image in doc["images"] if image["new_alt"]]
    assert len(written) == 2
    for alt in written:
        assert 0 < len(alt) <= 60 and not alt.lower().startswith(("image of", "a picture of"))
    html = (folder / "page.html").read_text()
    assert html.startswith('<p><img src="red.png" alt="') and html.endswith(
        '"> <img src="blue.png" alt=""></p>\n'
    )
    assert (folder / "page.orig.html").exists() and (folder / "notes" / "readme.orig.md").exists()
    rows = list(csv.DictReader(report_file.open()))
    assert sorted(row["outcome"] for row in rows) == ["skipped", "written", "written"]


def test_failures_give_exit_status_1(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:
    (tmp_path / "page.html").write_text('<img src="missing.png">')
    assert main(["alt-text", str(tmp_path / "page.html"), *model_args(tiny_model_dir)]) == 1
    assert "missing.png was not found" in capsys.readouterr().out


@pytest.mark.parametrize(
    "bad", [["--report", "out.txt"], ["--batch-size", "0"], ["--write", "--dry-run"], ["--max-length", "x"]]
)
def test_usage_errors_give_exit_status_2(tmp_path: Path, bad: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["alt-text", str(tmp_path), *bad])
    assert raised.value.code == 2


def test_ctrl_c_gives_exit_status_130(folder: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(assistant.engine, "load_engine", lambda *a, **k: RecordingEngine(stop_after=0))
    before = (folder / "page.html").read_bytes()
    assert main(["alt-text", str(folder), "--write"]) == 130
    captured = capsys.readouterr()
    assert "stopped early" in captured.out and "Stopped." in captured.err
    assert (folder / "page.html").read_bytes() == before


@pytest.mark.slow
def test_include_ocr_adds_the_visible_text(tmp_path: Path) -> None:
    picture = Image.new("RGB", (360, 120), "white")
    ImageDraw.Draw(picture).text(
        (20, 30), "OPEN 24 HOURS", fill="black", font=ImageFont.load_default(size=40)
    )
    picture.save(tmp_path / "sign.png")
    (tmp_path / "page.html").write_text('<img src="sign.png">')
    report = run(
        [tmp_path], RecordingEngine(replies={(255, 255, 255): "a white sign"}), Options(include_ocr=True)
    )
    assert report.documents[0].images[0].new_alt == 'A white sign. Text: "OPEN 24 HOURS".'


def test_bench_documents_batched_and_one_by_one(engine: RecordingEngine) -> None:
    result = bench_documents(engine, n_images=6, batch_size=4)
    assert result["documents"] == 2
    assert result["batched"]["written"] == result["one_by_one"]["written"] == 6
    assert engine.batches == [4, 2, 1, 1, 1, 1, 1, 1]
    assert 0 <= result["batched"]["overhead_pct"] <= 100


def test_an_unexpected_problem_is_one_sentence_with_the_details_in_the_log(
    tmp_path: Path, tiny_model_dir: Path, capsys, monkeypatch
) -> None:
    from assistant.documents import formats

    def broken(path, raw, access=None):
        raise ZeroDivisionError("a bug in a reader")

    monkeypatch.setitem(formats.OPENERS, ".md", broken)
    (tmp_path / "notes.md").write_text("![](red.png)\n")
    assert main(["alt-text", str(tmp_path / "notes.md"), *model_args(tiny_model_dir)]) == 1
    captured = capsys.readouterr()
    assert (
        "notes.md could not be processed because of an unexpected problem (ZeroDivisionError)" in captured.out
    )
    assert "Traceback" not in captured.out + captured.err
    log = Path(captured.err.split("Details of the unexpected problems are in ", 1)[1].strip().rstrip("."))
    assert log.name == "alt-text.log" and "ZeroDivisionError: a bug in a reader" in log.read_text()
