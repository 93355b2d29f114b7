"""`assistant bench`: where the time goes, measured side by side in one run.

Every figure is the median of `--repeat` runs. Ratios compare things measured in the same process on
the same inputs, so they hold across machines better than the seconds do.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
from PIL import Image, ImageDraw

from assistant.bench.loading import on_gpu
from assistant.bench.suites import Bench, Scope, Target
from assistant.engine import prompts
from assistant.engine.base import Turn
from assistant.engine.families.blip2.engine import Blip2Engine


def sample_images(count: int) -> list[Image.Image]:
    """Distinct screen-like test pictures: a window with text lines and a coloured panel."""
    images = []
    for i in range(count):
        image = Image.new("RGB", (800, 600), (240 - 20 * (i % 6), 240, 255 - 15 * (i % 8)))
        draw = ImageDraw.Draw(image)
        draw.rectangle((40, 40, 760, 90), fill=(30, 60, 120))
        draw.text((60, 55), f"Document {i + 1} - Editor", fill="white")
        for line in range(12):
            draw.text((60, 120 + 30 * line), f"Line {line + 1} of the text in window {i + 1}", fill="black")
        draw.ellipse((500 + 10 * i, 300, 700, 500 - 5 * i), fill=(200, 40 + 20 * i, 40))
        images.append(image)
    return images


# A full screen of text as OCR gives it: a title, then 40 lines of 11 words (444 words, as many as the
# 12 px full screen of the OCR accuracy samples).
SCREEN_TEXT = (
    "Quarterly report - Writer",
    *(f"Line {n}: the quarterly report shows revenue growth across every region" for n in range(1, 41)),
)


def _wait_for_gpu() -> None:
    """GPU work is asynchronous: the clock is read only once the card has finished."""
    if torch.cuda.is_initialized():
        torch.cuda.synchronize()


def median_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        _wait_for_gpu()
        start = time.perf_counter()
        function()
        _wait_for_gpu()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_engine(engine: Blip2Engine, tokens: int, batch: int, repeat: int) -> dict[str, float]:
    """Figures for one engine (one precision); generation is forced to exactly `tokens` tokens."""
    engine.generation_options["min_new_tokens"] = tokens
    engine.max_new_tokens = dict.fromkeys(engine.max_new_tokens, tokens)
    images = sample_images(max(batch, 2))
    image = images[0]
    prompt = prompts.description_prompt("brief")
    figures: dict[str, float] = {}

    fresh = engine.clear_feature_cache

    pixels = engine.pixel_values([image])
    figures["preprocess_s"] = median_time(lambda: engine.pixel_values([image]), repeat)
    figures["vision_encoder_s"] = median_time(lambda: engine.encode_images(pixels), repeat)
    features = engine.encode_images(pixels)
    input_ids = engine.prompt_inputs(prompt, 1)
    figures["first_token_s"] = median_time(
        lambda: engine.generate_ids(features, input_ids, 1, min_new_tokens=1), repeat
    )
    all_tokens = median_time(lambda: engine.generate_ids(features, input_ids, tokens), repeat)
    figures["tokens_per_s"] = (tokens - 1) / max(all_tokens - figures["first_token_s"], 1e-9)
    first_sentence = min(10, tokens)

    def to_first_sentence() -> None:
        fresh()
        feats = engine.features_for(image)
        engine.generate_ids(feats, input_ids, first_sentence, min_new_tokens=first_sentence)

    figures["first_sentence_s"] = median_time(to_first_sentence, repeat)

    def describe() -> None:
        fresh()
        engine.describe(image)

    figures["describe_s"] = median_time(describe, repeat)
    # The bare library call on inputs already preprocessed by the processor.
    inputs = engine.processor(images=image, text=prompt, return_tensors="pt").to(engine._device)
    inputs["pixel_values"] = inputs["pixel_values"].to(engine._vision_dtype)
    options = {**engine.generation_options, "max_new_tokens": tokens}
    with torch.inference_mode():
        figures["bare_generate_s"] = median_time(lambda: engine.model.generate(**inputs, **options), repeat)
    history = [Turn("What is on the screen?", "A text editor with a document.")]
    question = "What does the title say?"
    fresh()
    engine.features_for(image)
    figures["followup_cached_s"] = median_time(lambda: engine.ask(image, question, history), repeat)

    def followup_fresh() -> None:
        fresh()
        engine.ask(image, question, history)

    figures["followup_fresh_s"] = median_time(followup_fresh, repeat)

    # A question about a screen of text: the first reads the text (once per image), the next keep it.
    def text_question_fresh() -> None:
        fresh()
        engine.ask(image, question, history, text_on_image=SCREEN_TEXT)

    figures["text_words"] = float(len(" ".join(SCREEN_TEXT).split()))
    figures["text_question_fresh_s"] = median_time(text_question_fresh, repeat)
    text_question_fresh()
    figures["text_followup_kept_s"] = median_time(
        lambda: engine.ask(image, "What does line 3 say?", history, text_on_image=SCREEN_TEXT), repeat
    )
    batch_images = images[:batch]
    figures["batch_s"] = median_time(lambda: engine.describe_many(batch_images, batch_size=batch), 1)
    figures["singles_s"] = median_time(
        lambda: [engine.describe_many([one], batch_size=1) for one in batch_images], 1
    )
    figures["describe_over_bare_generate"] = figures["describe_s"] / figures["bare_generate_s"]
    figures["followup_cached_over_fresh"] = figures["followup_cached_s"] / figures["followup_fresh_s"]
    figures["text_followup_over_followup"] = figures["text_followup_kept_s"] / figures["followup_cached_s"]
    figures["batch_over_singles"] = figures["batch_s"] / figures["singles_s"]
    return figures


# -- the suite: `--suite engine` ---------------------------------------------------------------------

SCOPE: Scope = "each engine"
KEY = "results"
# (figure, limit, what it means); the last compares two precisions of one run (--compare bf16,int8).
TARGETS = (
    ("describe_over_bare_generate", 1.05, "a whole description costs at most 1.05x a bare model.generate"),
    ("followup_cached_over_fresh", 0.88, "a follow-up question costs at most 0.88x a fresh one"),
    (
        "text_followup_over_followup",
        1.2,
        "a follow-up about a screen of text, the text read once, costs at most 1.2x one without text",
    ),
    ("batch_over_singles", 1.0, "a batch costs less than the same images one by one"),
    ("int8_over_bf16_describe", 0.5, "on the CPU, int8 costs at most 0.5x bf16 for a whole description"),
)


def run(bench: Bench) -> dict[str, Any]:
    args, engine = bench.args, bench.engine
    assert engine is not None  # an "each engine" suite
    figures = {"load_s": bench.load_s, **measure_engine(engine, args.tokens, args.batch, args.repeat)}
    _print_figures(figures, args.batch)
    return figures


def targets(figures: dict[str, dict[str, float]], bench: Bench) -> Iterator[Target]:
    for key, limit, meaning in TARGETS:
        if key == "int8_over_bf16_describe" and on_gpu(bench.args):
            continue  # a target for the processor's int8, not for bitsandbytes'
        for where, value in _values(bench.report, figures, key):
            met = value < limit if key == "batch_over_singles" else value <= limit
            yield (f"{where}{key}", value, limit, met, meaning)


def _values(
    report: dict[str, Any], results: dict[str, dict[str, float]], key: str
) -> Iterator[tuple[str, float]]:
    if key in report:
        yield "", report[key]
    for label, figures in results.items():
        if key in figures:
            yield f"[{label}] ", figures[key]


def _print_figures(figures: dict[str, float], batch: int) -> None:
    rows = [
        ("model load / build", "load_s", "s"),
        ("preprocessing", "preprocess_s", "s"),
        ("vision encoder + Q-Former", "vision_encoder_s", "s"),
        ("first token", "first_token_s", "s"),
        ("tokens per second", "tokens_per_s", "tok/s"),
        ("first sentence (10 tokens, incl. vision)", "first_sentence_s", "s"),
        ("whole description (engine.describe)", "describe_s", "s"),
        ("bare model.generate, same inputs", "bare_generate_s", "s"),
        ("follow-up question, cached features", "followup_cached_s", "s"),
        ("follow-up question, features recomputed", "followup_fresh_s", "s"),
        (f"question with {figures['text_words']:.0f} words of text, fresh", "text_question_fresh_s", "s"),
        ("follow-up with the same text, kept", "text_followup_kept_s", "s"),
        (f"batch of {batch}", "batch_s", "s"),
        (f"{batch} one by one", "singles_s", "s"),
    ]
    for name, key, unit in rows:
        print(f"  {name:<42} {figures[key]:8.3f} {unit}")
