"""The known models: their facts, their short names, and the best one for a machine."""

from __future__ import annotations

import pytest

from assistant.engine.catalogue import GIB, KNOWN_MODELS, best_fitting, known, resolve
from assistant.engine.families import families
from assistant.engine.models import ModelNotAvailable, ensure_model


def test_every_known_model_is_of_a_family_that_runs() -> None:
    names = {family.name for family in families()}
    assert {model.family for model in KNOWN_MODELS} == names
    assert len({model.short for model in KNOWN_MODELS}) == len(KNOWN_MODELS)


def test_short_names_and_ids_name_the_same_model() -> None:
    assert resolve("qwen3.5-0.8b") == resolve("Qwen3.5-0.8B") == "Qwen/Qwen3.5-0.8B"
    assert known("HuggingFaceTB/SmolVLM2-500M-Video-Instruct") is known("smolvlm2-500m")
    assert resolve("/some/folder") == "/some/folder" and resolve("owner/other") == "owner/other"


def test_model_accepts_a_short_name(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailable, match=r"Qwen/Qwen3\.5-0\.8B"):
        ensure_model("qwen3.5-0.8b", progress=False)


def test_the_best_fitting_model_for_a_machine() -> None:
    assert best_fitting(64 * GIB, 24 * GIB) == (known("gemma4-e2b"), "the graphics card in fp16")
    model, where = best_fitting(2 * GIB, None) or (None, "")
    assert model is known("qwen3.5-0.8b") and where == "the processor in int8"
    assert best_fitting(int(0.5 * GIB), None) == (known("smolvlm2-256m"), "the processor in int8")
    assert best_fitting(100 * 1024**2, None) is None


def test_a_processor_is_offered_only_the_models_that_are_quick_enough_on_one() -> None:
    # Gemma 4 E2B fits 64 GB in int8, but its first sentence takes 11.7 s on 2 cores (BENCHMARKS.md).
    assert best_fitting(64 * GIB, None) == (known("qwen3.5-0.8b"), "the processor in int8")
    # A small graphics card runs the best model that fits it before a bigger one runs on the processor.
    assert best_fitting(64 * GIB, 4 * GIB) == (known("qwen3.5-0.8b"), "the graphics card in fp16")
    assert best_fitting(64 * GIB, 8 * GIB) == (known("qwen3.5-2b"), "the graphics card in fp16")


def test_doctor_names_the_best_model_for_this_computer(monkeypatch) -> None:
    from assistant.cli import doctor
    from assistant.engine import memory
    from assistant.engine.runtime import GpuInfo, MachineInfo

    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 2 * GIB)
    line = doctor.best_model_line(MachineInfo(gpu=None, bitsandbytes=False, cpu_int8=True))
    assert line.startswith(
        "Best model for this computer: Qwen/Qwen3.5-0.8B (--model qwen3.5-0.8b), on the processor"
    )
    gpu = GpuInfo("Fake GPU", 24 * GIB, 20 * GIB, True)
    line = doctor.best_model_line(MachineInfo(gpu=gpu, bitsandbytes=False, cpu_int8=True))
    assert "google/gemma-4-E2B-it" in line and "on the graphics card in fp16" in line
    monkeypatch.setattr(memory, "free_memory_bytes", lambda: 10 * 1024**2)
    line = doctor.best_model_line(MachineInfo(gpu=None, bitsandbytes=False, cpu_int8=True))
    assert line.endswith("none of the known models fits its free memory; close some programs.")
