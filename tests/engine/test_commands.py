"""The engine's commands (describe, ask, models) through `assistant.cli.main` and `python -m assistant`.

The model is the tiny random BLIP-2. (Named test_commands.py: tests/documents/test_cli.py has the other name.)
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from assistant.cli import main
from assistant.engine import Turn
from assistant.engine.images import normalize_image
from assistant.engine.models import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[2]


def picture(seed: int, size: tuple[int, int] = (40, 30)) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    """Two readable images (a PNG and a JPEG of different sizes) and a broken one."""
    first, second, broken = tmp_path / "first.png", tmp_path / "second.jpg", tmp_path / "broken.png"
    picture(1).save(first)
    picture(2, (64, 48)).save(second, quality=95)
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return {"first": str(first), "second": str(second), "broken": str(broken)}


@pytest.fixture
def model_args(tiny_model_dir) -> list[str]:
    return ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_sentence_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "Error:" not in err
    return lines[0]


def description(engine, path: str) -> str:
    return engine.describe(normalize_image(path))


# ---- describe ------------------------------------------------------------------------------------------


def test_describe_json_keeps_order_and_reports_the_broken_image(
    capsys, files, model_args, tiny_engine
) -> None:
    code, out, _ = run(
        capsys, "describe", files["first"], files["broken"], files["second"], *model_args, "--json"
    )
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["image"] for r in results] == [files["first"], files["broken"], files["second"]]
    no_text = {"blank": False, "text_on_image": []}
    assert results[0] == {
        "image": files["first"],
        "text": description(tiny_engine, files["first"]),
        **no_text,
    }
    assert results[2] == {
        "image": files["second"],
        "text": description(tiny_engine, files["second"]),
        **no_text,
    }
    assert set(results[1]) == {"image", "error"}
    assert "broken.png" in results[1]["error"] and "\n" not in results[1]["error"]
    assert code == 1


def test_describe_all_good_exits_zero(capsys, files, model_args) -> None:
    code, out, _ = run(capsys, "describe", files["first"], files["second"], *model_args, "--json")
    assert code == 0
    keys = {"image", "text", "blank", "text_on_image"}
    assert [set(json.loads(line)) for line in out.splitlines()] == [keys, keys]


def test_describe_plain_output(capsys, files, model_args, tiny_engine) -> None:
    code, out, err = run(capsys, "describe", files["first"], files["broken"], files["second"], *model_args)
    assert code == 1
    assert out.splitlines() == [
        f"{files['first']}: {description(tiny_engine, files['first'])}",
        f"{files['second']}: {description(tiny_engine, files['second'])}",
    ]
    line = assert_one_sentence_error(err)
    assert line.startswith(f"{files['broken']}: The file broken.png")


def test_describe_one_image_prints_just_the_text(capsys, files, model_args, tiny_engine) -> None:
    code, out, _ = run(capsys, "describe", files["first"], *model_args, "--detail", "detailed")
    assert code == 0
    assert out == tiny_engine.describe(normalize_image(files["first"]), "detailed") + "\n"


def test_describe_in_batches_gives_the_same_results(capsys, files, model_args, tmp_path) -> None:
    third = tmp_path / "third.png"
    picture(3, (30, 50)).save(third)
    images = [files["first"], files["second"], str(third)]
    _, one_by_one, _ = run(capsys, "describe", *images, *model_args, "--json")
    code, batched, _ = run(capsys, "describe", *images, *model_args, "--json", "--batch-size", "2")
    assert code == 0
    assert batched == one_by_one
    assert [json.loads(line)["image"] for line in batched.splitlines()] == images


def test_describe_only_broken_images_needs_no_model(capsys, files) -> None:
    code, out, _ = run(capsys, "describe", files["broken"], "--model", "/no/such/model", "--json")
    assert code == 1
    assert [set(json.loads(line)) for line in out.splitlines()] == [{"image", "error"}]


def test_describe_with_a_missing_model_is_one_sentence(capsys, files, tmp_path) -> None:
    missing = tmp_path / "no-model"
    code, out, err = run(capsys, "describe", files["first"], "--model", str(missing))
    assert code == 1 and out == ""
    assert assert_one_sentence_error(err) == f"The model folder {missing} does not exist. Check the path."


def test_describe_json_with_a_model_that_cannot_load(capsys, files, tmp_path) -> None:
    code, out, err = run(
        capsys, "describe", files["first"], files["broken"], "--model", str(tmp_path), "--json"
    )
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["image"] for r in results] == [files["first"], files["broken"]]
    assert results[0]["error"] == f"The folder {tmp_path} holds no model (config.json is missing)."
    assert assert_one_sentence_error(err) == results[0]["error"]


def test_cuda_without_a_graphics_card_is_one_sentence(capsys, files, tiny_model_dir) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a graphics card")
    code, _, err = run(capsys, "describe", files["first"], "--model", str(tiny_model_dir), "--device", "cuda")
    assert code == 1
    assert assert_one_sentence_error(err) == (
        "No CUDA graphics card was found. Use --device cpu, or install the CUDA build of PyTorch."
    )


def test_a_name_that_is_no_model_is_one_sentence(capsys, files) -> None:
    code, _, err = run(capsys, "describe", files["first"], "--model", "no such model")
    assert code == 1
    assert assert_one_sentence_error(err).startswith("no such model is neither a model folder nor")


@pytest.mark.parametrize("batch_size", [1, 3])
def test_describe_holds_at_most_one_batch_of_pictures(
    capsys, tmp_path, model_args, monkeypatch, batch_size
) -> None:
    import weakref

    from assistant.engine import images as engine_images

    paths = []
    for n in range(7):
        paths.append(str(tmp_path / f"photo{n}.png"))
        picture(40 + n).save(paths[-1])
    decoded: list[weakref.ref] = []
    most_held = 0
    real = engine_images.normalize_image

    def counting(source, *options, **named):
        nonlocal most_held
        image = real(source, *options, **named)
        decoded.append(weakref.ref(image))
        most_held = max(most_held, sum(ref() is not None for ref in decoded))
        return image

    monkeypatch.setattr(engine_images, "normalize_image", counting)
    code, out, _ = run(capsys, "describe", *paths, *model_args, "--json", "--batch-size", str(batch_size))
    assert code == 0
    assert [json.loads(line)["image"] for line in out.splitlines()] == paths
    assert len(decoded) == len(paths)
    assert most_held == batch_size


# ---- ask -----------------------------------------------------------------------------------------------


def test_ask_json(capsys, files, model_args, tiny_engine) -> None:
    code, out, _ = run(capsys, "ask", files["first"], "What colour is the car?", *model_args, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["question"] == "What colour is the car?"
    assert result["answer"] == tiny_engine.ask(normalize_image(files["first"]), "What colour is the car?")
    assert result["image"] == files["first"]
    assert result["text_on_image"] == []  # random pixels: no text


def test_ask_plain(capsys, files, model_args, tiny_engine) -> None:
    code, out, _ = run(capsys, "ask", files["first"], "Who is in the photo?", *model_args)
    assert code == 0
    assert out == tiny_engine.ask(normalize_image(files["first"]), "Who is in the photo?") + "\n"


@pytest.fixture
def error_file(tmp_path) -> str:
    from assistant.bench.samples import error_message

    path = tmp_path / "error.png"
    error_message().image.save(path)
    return str(path)


@pytest.fixture
def prompts(monkeypatch) -> list[str]:
    """The prompts every engine the commands load builds, in order."""
    from assistant.engine.families.blip2.engine import Blip2Engine

    built: list[str] = []
    real = Blip2Engine.prompt_inputs

    def recording(self, prompt: str, batch: int):
        built.append(prompt)
        return real(self, prompt, batch)

    monkeypatch.setattr(Blip2Engine, "prompt_inputs", recording)
    return built


def test_ask_answers_from_the_text_on_the_picture(
    capsys, error_file, model_args, tiny_engine, prompts
) -> None:
    from assistant.ocr import read_text

    code, out, _ = run(capsys, "ask", error_file, "What does the error say?", *model_args, "--json")
    assert code == 0
    result = json.loads(out)
    lines = read_text(normalize_image(error_file)).lines
    assert result["text_on_image"] == lines
    assert "because the disk is full" in lines
    assert "the disk is full" in prompts[0] and prompts[0].endswith(
        "Question: What does the error say? Answer:"
    )
    expected = tiny_engine.ask(normalize_image(error_file), "What does the error say?", text_on_image=lines)
    assert result["answer"] == expected


def test_ask_without_ocr_answers_from_the_picture_alone(
    capsys, error_file, model_args, tiny_engine, prompts
) -> None:
    code, out, _ = run(
        capsys, "ask", error_file, "What does the error say?", *model_args, "--no-ocr", "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["text_on_image"] == []
    assert prompts == ["Question: What does the error say? Answer:"]
    assert result["answer"] == tiny_engine.ask(normalize_image(error_file), "What does the error say?")


def test_ask_when_ocr_cannot_run_says_why_and_answers(capsys, error_file, model_args, monkeypatch) -> None:
    from assistant.ocr import OcrError, reader

    def broken(self, image):
        raise OcrError(
            "Text in pictures cannot be read because RapidOCR did not start. Reinstall the assistant."
        )

    monkeypatch.setattr(reader.TextReader, "read", broken)
    code, out, err = run(capsys, "ask", error_file, "What does the error say?", *model_args)
    assert code == 0 and out.strip()
    assert assert_one_sentence_error(err).startswith("Text in pictures cannot be read")


def test_ask_reads_and_extends_the_history_file(capsys, files, model_args, tiny_engine, tmp_path) -> None:
    history = tmp_path / "conversation.json"
    earlier = [{"question": "Is there a car?", "answer": "Yes, a red one."}]
    history.write_text(json.dumps(earlier), encoding="utf-8")
    code, out, _ = run(
        capsys, "ask", files["first"], "Where is it parked?", *model_args, "--history", str(history)
    )
    assert code == 0
    expected = tiny_engine.ask(
        normalize_image(files["first"]), "Where is it parked?", [Turn("Is there a car?", "Yes, a red one.")]
    )
    assert out == expected + "\n"
    assert json.loads(history.read_text(encoding="utf-8")) == [
        *earlier,
        {"question": "Where is it parked?", "answer": expected},
    ]


def test_ask_starts_a_new_history_file(capsys, files, model_args, tmp_path) -> None:
    history = tmp_path / "new" / "conversation.json"
    code, out, _ = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert code == 0
    assert json.loads(history.read_text(encoding="utf-8")) == [
        {"question": "What is it?", "answer": out.strip()}
    ]


def test_a_damaged_history_file_is_one_sentence(capsys, files, model_args, tmp_path) -> None:
    history = tmp_path / "conversation.json"
    history.write_text('{"question": "not a list"', encoding="utf-8")
    code, _, err = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert code == 1
    assert assert_one_sentence_error(err).startswith(f"The history file {history} is not a list")
    assert history.read_text(encoding="utf-8") == '{"question": "not a list"'


def test_interactive_ask(capsys, files, model_args, tiny_engine, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("What colour is the car?\nWhere is it?\n"))
    code, out, _ = run(capsys, "ask", files["first"], *model_args)
    assert code == 0
    image = normalize_image(files["first"])
    first = tiny_engine.ask(image, "What colour is the car?")
    second = tiny_engine.ask(image, "Where is it?", [Turn("What colour is the car?", first)])
    assert first in out and second in out
    assert out.index(first) < out.index(second)
    assert out.count("Question: ") == 3  # asked twice, then end of input


def test_interactive_ask_ends_on_an_empty_line(capsys, files, model_args, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\nWhat is it?\n"))
    code, out, _ = run(capsys, "ask", files["first"], *model_args)
    assert code == 0
    assert out.count("Question: ") == 1


def test_ask_about_a_broken_image_is_one_sentence(capsys, files, model_args) -> None:
    code, out, err = run(capsys, "ask", files["broken"], "What is it?", *model_args)
    assert code == 1 and out == ""
    assert "broken.png" in assert_one_sentence_error(err)


def test_a_history_nested_too_deep_is_one_sentence(capsys, files, model_args, tmp_path) -> None:
    history = tmp_path / "conversation.json"
    history.write_text("[" * 100_000, encoding="utf-8")
    code, _, err = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert code == 1
    assert assert_one_sentence_error(err).startswith(f"The history file {history} is not a list")


def test_a_question_too_long_for_the_model_is_one_sentence(capsys, files, model_args) -> None:
    code, out, err = run(capsys, "ask", files["first"], "What does it say? " * 6000, *model_args)
    assert code == 1 and out == ""
    assert assert_one_sentence_error(err).startswith("The question is too long for this model; shorten it")


def test_a_long_turn_in_the_history_is_left_out(capsys, files, model_args, tiny_engine, tmp_path) -> None:
    history = tmp_path / "conversation.json"
    earlier = [
        {"question": "What does the text say?", "answer": "welcome to the meeting " * 1000},  # 23 kB
        {"question": "Is there a car?", "answer": "Yes."},
    ]
    history.write_text(json.dumps(earlier), encoding="utf-8")
    code, out, err = run(
        capsys, "ask", files["first"], "Where is it?", *model_args, "--history", str(history)
    )
    assert code == 0, err
    assert (
        out
        == tiny_engine.ask(normalize_image(files["first"]), "Where is it?", [Turn("Is there a car?", "Yes.")])
        + "\n"
    )
    assert len(json.loads(history.read_text(encoding="utf-8"))) == 3


def test_the_answer_is_given_when_the_history_cannot_be_saved(
    capsys, files, model_args, tiny_engine, tmp_path
) -> None:
    in_the_way = tmp_path / "notes"
    in_the_way.write_text("a file where the history's folder should be", encoding="utf-8")
    history = in_the_way / "conversation.json"
    code, out, err = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert out == tiny_engine.ask(normalize_image(files["first"]), "What is it?") + "\n"
    assert code == 1
    message = assert_one_sentence_error(err)
    assert message.startswith(
        f"The answer was not added to the history file {history}, which could not be written ("
    )
    assert message.endswith("); check that you may write to its folder.")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_the_answer_is_given_when_the_history_folder_is_read_only(
    capsys, files, model_args, tmp_path
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    history = folder / "conversation.json"
    history.write_text("[]", encoding="utf-8")
    folder.chmod(0o500)
    try:
        code, out, err = run(
            capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history)
        )
    finally:
        folder.chmod(0o700)
    assert code == 1 and out.strip()
    assert "Permission denied" in assert_one_sentence_error(err)
    assert history.read_text(encoding="utf-8") == "[]"


def test_a_read_only_history_file_is_left_as_it_is(capsys, files, model_args, tmp_path) -> None:
    history = tmp_path / "conversation.json"
    history.write_text("[]", encoding="utf-8")
    history.chmod(0o444)
    code, out, err = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert code == 1 and out.strip()
    assert assert_one_sentence_error(err) == (
        f"The answer was not added to the history file {history}, which is read-only; "
        "make it writable or choose another file."
    )
    assert history.read_text(encoding="utf-8") == "[]"
    assert history.stat().st_mode & 0o777 == 0o444


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_rewriting_the_history_keeps_its_permissions(capsys, files, model_args, tmp_path, mode) -> None:
    history = tmp_path / "conversation.json"
    history.write_text("[]", encoding="utf-8")
    history.chmod(mode)
    code, _, _ = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert code == 0
    assert len(json.loads(history.read_text(encoding="utf-8"))) == 1
    assert history.stat().st_mode & 0o777 == mode


# ---- models --------------------------------------------------------------------------------------------


@pytest.fixture
def empty_hub(tmp_path, monkeypatch) -> Path:
    """An empty Hugging Face cache, offline (huggingface_hub read its settings at import, so patch those too)."""
    import huggingface_hub.constants as hub_constants

    home = tmp_path / "hf-home"
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return home


def test_models_lists_the_default_as_not_downloaded(capsys, empty_hub) -> None:
    code, out, _ = run(capsys, "models")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        f"{DEFAULT_MODEL} (blip2) (default): BLIP-2, 3.7 billion parameters, about 14.0 GB"
    )
    assert lines[0].endswith(
        "MIT licence, English; not downloaded. Default; good captions, fast enough on a processor in int8."
    )
    assert "Salesforce/blip2-flan-t5-xl (blip2-flan-t5-xl): BLIP-2, 3.9 billion parameters" in out
    qwen = next(line for line in lines if line.startswith("Qwen/Qwen3.5-0.8B (qwen3.5-0.8b): Qwen3.5,"))
    assert (
        "memory int8 0.8 GB, bf16 1.6 GB, fp32 3.2 GB, Apache-2.0 licence, many languages; not downloaded."
        in qwen
    )
    families = {line.split(": ", 1)[1].split(",", 1)[0] for line in lines if ": " in line}
    assert {"BLIP-2", "Qwen3.5", "SmolVLM2", "Gemma 4"} <= families
    assert lines[-1] == "Download one with: assistant models download ID"


def test_models_download_offline_is_one_sentence(capsys, empty_hub) -> None:
    code, out, err = run(capsys, "models", "download")
    assert code == 1 and out == ""
    message = assert_one_sentence_error(err)
    assert message.startswith(f"The model {DEFAULT_MODEL} is not downloaded and HF_HUB_OFFLINE is set.")


# ---- the real entry point ------------------------------------------------------------------------------


def assistant_process(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_python_dash_m_assistant_describes(files, model_args, tiny_engine) -> None:
    done = assistant_process("describe", files["first"], files["broken"], *model_args, "--json")
    assert done.returncode == 1, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results[0] == {
        "image": files["first"],
        "text": description(tiny_engine, files["first"]),
        "blank": False,
        "text_on_image": [],
    }
    assert set(results[1]) == {"image", "error"}
    assert "Traceback" not in done.stderr


def test_python_dash_m_assistant_error_has_no_traceback(tmp_path) -> None:
    done = assistant_process("ask", str(tmp_path / "missing.png"), "What is it?", "--model", str(tmp_path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "missing.png" in done.stderr


def test_ask_an_empty_question_is_one_sentence_not_the_prompt(capsys, files, model_args, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("What is it?\n"))
    code, out, err = run(capsys, "ask", files["first"], "  ", *model_args)
    assert code == 1 and out == ""
    assert assert_one_sentence_error(err) == "The question is empty. Type or say a question about the image."


def test_a_history_with_a_huge_turn_is_cut_in_one_sentence(capsys, files, model_args, tmp_path) -> None:
    # Each MB of history once cost about 200 MB on its way to the model (20 MB aborted the process).
    history = tmp_path / "conversation.json"
    history.write_text(json.dumps([{"question": "Is there a car?", "answer": "yes " * 250_000}]))
    code, out, err = run(capsys, "ask", files["first"], "What is it?", *model_args, "--history", str(history))
    assert code == 0 and out.strip()
    assert assert_one_sentence_error(err).startswith(f"The history file {history} is long, so only its last")
    saved = json.loads(history.read_text(encoding="utf-8"))
    assert len(saved) == 2 and len(saved[0]["answer"]) == 4000


def test_ask_without_a_question_prompts_and_ends_in_the_users_language(
    capsys, files, model_args, tiny_engine, monkeypatch
) -> None:
    """Spanish prompt, and the Spanish word "salir" ends the questions (the line after it is never asked)."""
    from assistant import i18n

    monkeypatch.setattr(sys, "stdin", io.StringIO("¿Quién está en la foto?\nsalir\nno se pregunta\n"))
    i18n.setup(override="es")
    try:
        code, out, _ = run(capsys, "ask", files["first"], *model_args, "--no-translate")
    finally:
        i18n.setup(override="en")
    assert code == 0
    answer = tiny_engine.ask(normalize_image(files["first"]), "¿Quién está en la foto?")
    assert out.count("Pregunta: ") == 2 and "Question:" not in out
    assert out.count(answer) == 1


def test_loading_a_model_writes_no_progress_bar_of_transformers(capsys, files, model_args) -> None:
    """transformers' English "Loading weights" bar is not the app's to show (it says what it loads in
    the user's language); the bar is back on after the load, for whoever else uses transformers."""
    from transformers.utils import logging as transformers_logging

    code, _, err = run(capsys, "describe", files["first"], *model_args)
    assert code == 0
    assert "Loading weights" not in err
    assert transformers_logging.is_progress_bar_enabled()
