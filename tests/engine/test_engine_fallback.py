"""An engine made directly (not through `load`) still falls back when the graphics card runs out of memory."""

from __future__ import annotations

import torch
from PIL import Image

from assistant.engine import load_engine, loading
from assistant.engine.families.blip2.engine import Blip2Engine
from assistant.engine.runtime import GIB, GpuInfo, MachineInfo, Runtime

BIG_GPU = MachineInfo(gpu=GpuInfo("Fake GPU", 24 * GIB, 20 * GIB, True), bitsandbytes=False, cpu_int8=True)


def test_an_engine_made_with_a_reload_asks_what_the_machine_offers(tiny_model_dir, monkeypatch) -> None:
    loaded = load_engine(str(tiny_model_dir), device="cpu", precision="fp32")
    # As a caller of the constructor builds one: a reload, and no word of the machine.
    engine = Blip2Engine(
        loaded.model,
        loaded.processor,
        Runtime("cuda", "bf16", "fits"),
        "tiny",
        reload=lambda runtime: (loaded.model, loaded.processor),
    )
    monkeypatch.setattr(loading, "query_machine", lambda: BIG_GPU)
    failures = [torch.cuda.OutOfMemoryError("CUDA out of memory.")]
    real_generate = engine.generate_ids

    def generate_ids(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(engine, "generate_ids", generate_ids)

    assert engine.describe(Image.new("RGB", (40, 30), (200, 30, 30)))
    assert (engine.runtime.device, engine.runtime.precision) == ("cpu", "int8")
    assert engine.notices == [
        "The graphics card ran out of memory, so the model now runs in int8 on the processor."
    ]


def test_load_hands_the_engine_the_machine_it_chose_for(tiny_model_dir, monkeypatch) -> None:
    asked: list[MachineInfo] = []

    def query_machine() -> MachineInfo:
        asked.append(BIG_GPU)
        return BIG_GPU

    monkeypatch.setattr(loading, "query_machine", query_machine)
    monkeypatch.setattr(loading, "choose_runtime", lambda *args: Runtime("cpu", "fp32", "requested"))
    engine = load_engine(str(tiny_model_dir), device="cpu", precision="fp32")
    assert engine._machine is BIG_GPU and len(asked) == 1  # asked once, while loading
