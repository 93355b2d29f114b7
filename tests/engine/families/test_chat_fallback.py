"""Every chat family falls back as BLIP-2 does when the graphics card runs out of memory: it loads again in
the next smaller runtime (here int8 on the processor), says so once, and answers the request."""

from __future__ import annotations

import torch
from PIL import Image

from assistant.engine import load_engine, quantized
from assistant.engine.int8 import Int8Linear
from assistant.engine.runtime import GIB, GpuInfo, MachineInfo, Runtime

BIG_GPU = MachineInfo(gpu=GpuInfo("Fake GPU", 24 * GIB, 20 * GIB, True), bitsandbytes=False, cpu_int8=True)


def _roots(layers: list[Int8Linear]) -> list[Int8Linear]:
    """The int8 layers that are not rows of another (a family's fused layers and the ones left apart)."""
    spans = [(m.weight.data_ptr(), m.weight.data_ptr() + m.weight.nbytes) for m in layers]
    return [
        m
        for m, (start, end) in zip(layers, spans, strict=True)
        if not any(low <= start and end <= high and high - low > end - start for low, high in spans)
    ]


def test_running_out_of_graphics_memory_reloads_in_int8_on_the_processor(tiny, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(quantized.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr("assistant.engine.int8.packing_pays", lambda: True)  # a processor where packing pays
    engine = load_engine(str(tiny.folder), device="cpu", precision="fp32", progress=False)
    engine.runtime, engine._machine = Runtime("cuda", "bf16", "fits"), BIG_GPU  # as loaded on the card
    failures = [torch.cuda.OutOfMemoryError("CUDA out of memory.")]
    real_generate = engine.generate

    def generate(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real_generate(*args, **kwargs)

    engine.generate = generate
    heard: list[str] = []
    engine.on_notice = heard.append
    generator = torch.Generator().manual_seed(11)  # a picture every tiny model says something of in int8
    pixels = torch.randint(0, 256, (80, 120, 3), generator=generator, dtype=torch.uint8)
    picture = Image.fromarray(pixels.numpy())

    text = engine.describe(picture)
    assert text and text == load_engine(str(tiny.folder), device="cpu", precision="int8").describe(picture)
    assert (engine.runtime.device, engine.runtime.precision) == ("cpu", "int8")
    # Laid out as a family does at a start, then packed while idle (a family's fused layers included).
    while engine.prepare_more():
        pass
    layers = [m for m in engine.model.modules() if type(m) is Int8Linear]
    assert layers and any(layer.packed is not None for layer in layers)
    assert all(layer.packed is not None for layer in _roots(layers))
    assert (
        heard
        == engine.notices
        == ["The graphics card ran out of memory, so the model now runs in int8 on the processor."]
    )
    assert len(quantized.saved_models()) == 1  # the int8 weights were prepared and cached, as usual
    assert engine.ask(picture, "What is it?") and heard == engine.notices  # said once, not at each request
