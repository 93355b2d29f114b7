"""`--suite families --synthetic qwen3.5-0.8b` (or any chat model of the catalogue: qwen3.5-2b, smolvlm2-256m,
smolvlm2-500m, smolvlm2-2.2b, gemma4-e2b): a chat-template family against BLIP-2, in one run, on the
processor in int8 with the default image budget.

Both are full-size random checkpoints written for the run (BLIP-2's is blip2-opt-2.7b) and loaded through
`load_engine` as a download is: the first load prepares the int8 model, the later start maps it. The
picture is a 1920×1080 screen. Figures: the later start, the memory the loaded model takes, the first
sentence (ten tokens about a picture not seen before) and tokens a second after it, beside what the
memory of that moment allows a token (`memory_floor`).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from PIL import Image, ImageDraw

from assistant.bench.memory_floor import distinct_bytes, floor_figures, read_seconds, recording_weights
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.errors import UserError

SCOPE: Scope = "once"
KEY = "families"
BLIP2 = "blip2-opt-2.7b"
FIRST_SENTENCE_TOKENS = 10
TOKENS = 40


def screen(seed: int) -> Image.Image:
    """A 1920×1080 screen-like picture: a title bar, lines of text, a coloured panel."""
    image = Image.new("RGB", (1920, 1080), (235, 240 - seed, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1920, 60), fill=(30, 60, 120))
    draw.text((20, 20), f"Report {seed} - Writer", fill="white")
    for line in range(30):
        draw.text(
            (40, 100 + 30 * line), f"Line {line + 1}: the quarterly report of window {seed}", fill="black"
        )
    draw.ellipse((1200, 300 + seed, 1700, 800), fill=(200, 60, 40))
    return image


def _write(name: str) -> str:
    """The random checkpoint, written by a child process so the memory of building it is given back."""
    folder = tempfile.mkdtemp(prefix=f"assistant-synthetic-{name}-")
    print(f"Writing a random {name} checkpoint to {folder}", flush=True)
    if name == BLIP2:
        code = "import sys, torch; from assistant.bench.synthetic import save_full_size; "
        code += "save_full_size(sys.argv[1], sys.argv[2], torch.float16)"
    else:
        code = "import sys; from assistant.bench.synthetic_families import save_full_size_family; "
        code += "save_full_size_family(sys.argv[1], sys.argv[2])"
    subprocess.run([sys.executable, "-c", code, name, folder], check=True)
    return folder


_FIRST_START = """
import sys, time
import torch, transformers
from assistant.engine import load_engine
started = time.perf_counter()
load_engine(sys.argv[1], device="cpu", precision="int8", progress=False)
print(time.perf_counter() - started)
"""


def first_start(folder: str) -> float:
    """The first start, which prepares the int8 model, in a process of its own: the seconds `load_engine`
    takes once torch and transformers are imported. Its peak memory (13.6 GB for Gemma 4 E2B; 19.6 GB
    while its embedding tables went float32) is given back before the later start and the timings, which map the
    prepared model: in one process the two together passed the machine's memory."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_START, folder], check=True, capture_output=True, text=True
    )
    return float(done.stdout.strip().splitlines()[-1])


_LATER_START = """
import json, os, sys, time
import psutil, torch, transformers
from assistant.engine import load_engine
before = psutil.Process(os.getpid()).memory_info().rss
started = time.perf_counter()
engine = load_engine(sys.argv[1], device="cpu", precision="int8", progress=False)
seconds = time.perf_counter() - started
started = time.perf_counter()
while engine.prepare_more():  # what the app does while the model is idle
    pass
preparing = time.perf_counter() - started
from PIL import Image
engine.describe(Image.effect_noise((1920, 1080), 60).convert("RGB"))  # every weight read once
print(json.dumps([seconds, (psutil.Process(os.getpid()).memory_info().rss - before) / 1024**3, preparing]))
"""


def later_start(folder: str) -> tuple[float, float, float]:
    """A later start in a process of its own, the prepared model already in the cache: the seconds
    `load_engine` takes once torch and transformers are imported; the memory the model holds once it
    has done its idle work and described a picture (the prepared model is mapped: its pages come in as
    they are read); and the seconds of that idle work (`Engine.prepare_more`: packing int8 layers where
    this processor multiplies faster so), which the app does after the start, between requests."""
    done = subprocess.run(
        [sys.executable, "-c", _LATER_START, folder], check=True, capture_output=True, text=True
    )
    seconds, gigabytes, preparing = json.loads(done.stdout.strip().splitlines()[-1])
    return float(seconds), float(gigabytes), float(preparing)


def measure(folder: str, repeat: int) -> dict[str, float]:
    from assistant.engine import load_engine

    figures: dict[str, float] = {"first_start_s": first_start(folder)}
    figures["later_start_s"], figures["loaded_gb"], figures["idle_preparing_s"] = later_start(folder)
    engine: Any = load_engine(folder, device="cpu", precision="int8", progress=False)  # maps it
    while engine.prepare_more():  # the app's idle work after a start: the figures below follow it
        pass
    # Random weights may pick the end-of-text token at once; with none set, every run makes exactly its
    # tokens. (min_new_tokens masked the whole vocabulary at every token, 248,320 words for Qwen3.5: a
    # cost the app never pays, so it understated the families' tokens per second.)
    engine.generation_options["eos_token_id"] = None
    engine.max_new_tokens = dict.fromkeys(engine.max_new_tokens, FIRST_SENTENCE_TOKENS)
    times = []
    for attempt in range(repeat):
        picture = screen(attempt)
        engine.clear_feature_cache()
        started = time.perf_counter()
        engine.describe(picture)
        times.append(time.perf_counter() - started)
    figures["first_sentence_s"] = statistics.median(times)

    def kept(tokens: int) -> float:
        """Seconds for `tokens` tokens about a picture whose work is kept: generation alone."""
        engine.max_new_tokens = dict.fromkeys(engine.max_new_tokens, tokens)
        started = time.perf_counter()
        engine.describe(screen(0))
        return time.perf_counter() - started

    with recording_weights() as weights:  # and reads the picture, if the loop above did not end with it
        kept(FIRST_SENTENCE_TOKENS)
    views = distinct_bytes(weights)
    # Like every timing here, the median of `repeat`: one difference of two timings swings with the
    # memory's speed of the moment (10 to 16.6 tokens/s for Qwen3.5-0.8B in four runs of one hour), so
    # each is followed by a reading of the same weights, at the same moment.
    rates, reads = [], []
    for _ in range(repeat):
        rates.append((TOKENS - FIRST_SENTENCE_TOKENS) / max(kept(TOKENS) - kept(FIRST_SENTENCE_TOKENS), 1e-9))
        reads.append(read_seconds(views))
    figures["tokens_per_s"] = statistics.median(rates)
    figures.update(floor_figures(views, reads, figures["tokens_per_s"]))
    return figures


def run(bench: Bench) -> dict[str, Any]:
    from assistant.bench.synthetic_families import SHAPES
    from assistant.engine import quantized

    name = bench.args.synthetic
    if name not in SHAPES:
        raise UserError(f"The families suite measures --synthetic {', '.join(SHAPES)}; {name} is not one.")
    cache = tempfile.mkdtemp(prefix="assistant-bench-cache-")
    os.environ[quantized.CACHE_DIR_ENV] = cache  # the prepared models of this run only
    report: dict[str, Any] = {}
    try:
        for model in (BLIP2, name):
            folder = _write(model)
            try:
                report[model] = measure(folder, max(1, bench.args.repeat))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            print(f"\n== {model}, int8 on the processor")
            show(report[model])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    report["family"] = name
    return report


def targets(figures: Any, bench: Bench) -> Iterator[Target]:
    if not figures:
        return
    name = figures["family"]
    family, blip2 = figures[name], figures[BLIP2]
    ratio = family["first_sentence_s"] / blip2["first_sentence_s"]
    if name == "qwen3.5-0.8b":
        yield target("qwen_first_sentence_s", family["first_sentence_s"], 3.0, "first sentence at most 3.0 s")
        yield target("qwen_first_sentence_over_blip2", ratio, 1.5, "first sentence at most 1.5x BLIP-2's")
        yield target("qwen_tokens_per_s", family["tokens_per_s"], 15, "at least 15 tokens/s", at_least=True)
        yield target("qwen_loaded_gb", family["loaded_gb"], 1.5, "at most 1.5 GB loaded")
    if name == "smolvlm2-500m":
        yield target(
            "smolvlm_first_sentence_s", family["first_sentence_s"], 1.5, "first sentence at most 1.5 s"
        )
        yield target("smolvlm_first_sentence_over_blip2", ratio, 1.0, "first sentence faster than BLIP-2's")
    for model in (BLIP2, name):
        yield target(
            f"{model}_later_start_s", figures[model]["later_start_s"], 5.0, "a later start at most 5 s"
        )
