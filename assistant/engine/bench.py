"""`assistant bench`: where the time goes, measured side by side in one run.

Every figure is the median of `--repeat` runs. Ratios compare things measured in the same process on
the same inputs, so they hold across machines better than the seconds do.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable

import torch
from PIL import Image, ImageDraw

from assistant.engine import prompts
from assistant.engine.base import EngineError, Turn

# Targets from the engine issue, as (figure, limit, what it means).
TARGETS = (
    ("describe_over_bare_generate", 1.05, "a whole description costs at most 1.05x a bare model.generate"),
    ("followup_cached_over_fresh", 0.88, "a follow-up question costs at most 0.88x a fresh one"),
    ("batch_over_singles", 1.0, "a batch costs less than the same images one by one"),
    ("int8_over_bf16_describe", 0.5, "on the CPU, int8 costs at most 0.5x bf16 for a whole description"),
)


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


def median_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_engine(engine, tokens: int, batch: int, repeat: int) -> dict:
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
    batch_images = images[:batch]
    figures["batch_s"] = median_time(lambda: engine.describe_many(batch_images, batch_size=batch), 1)
    figures["singles_s"] = median_time(
        lambda: [engine.describe_many([one], batch_size=1) for one in batch_images], 1
    )
    figures["describe_over_bare_generate"] = figures["describe_s"] / figures["bare_generate_s"]
    figures["followup_cached_over_fresh"] = figures["followup_cached_s"] / figures["followup_fresh_s"]
    figures["batch_over_singles"] = figures["batch_s"] / figures["singles_s"]
    return figures


def _engine_for(args, precision: str):
    """The engine to measure: a real model through load_engine, or a synthetic full-size one."""
    from assistant.engine.blip2 import Blip2Engine, quantize_int8_
    from assistant.engine.runtime import Runtime

    if args.synthetic:
        from assistant.engine.synthetic import build_full_size

        precision = "int8" if precision == "auto" else precision
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "int8": torch.bfloat16}
        model, processor = build_full_size(args.synthetic, dtype=dtype[precision])
        if precision == "int8":
            quantize_int8_(model)
        runtime = Runtime("cpu", precision, "synthetic random weights")  # type: ignore[arg-type]
        return Blip2Engine(model, processor, runtime, f"synthetic {args.synthetic}")
    from assistant.engine import load_engine

    return load_engine(args.model, device=args.device, precision=precision)


def run_benchmark(args) -> int:
    precisions = [p.strip() for p in (args.compare or args.precision).split(",") if p.strip()]
    if args.synthetic and args.device == "cuda":
        print("Synthetic models are measured on the processor here; use a real model for --device cuda.")
    report: dict = {
        "command": "assistant " + " ".join(_argv(args)),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "model": args.synthetic or args.model or "default",
        "tokens": args.tokens,
        "batch": args.batch,
        "results": {},
    }
    print(f"Benchmark: {report['model']}, {args.tokens} tokens per description, {report['machine']}")
    suites = {name.strip() for name in args.suite.split(",")}
    unknown = suites - {"engine", "documents", "stt"}
    if unknown:
        raise EngineError(
            f"Unknown benchmark suite {', '.join(sorted(unknown))}: choose engine, documents or stt."
        )
    for precision in precisions if suites & {"engine", "documents"} else []:
        start = time.perf_counter()
        engine = _engine_for(args, precision)
        load_s = time.perf_counter() - start
        label = engine.runtime.precision
        print(f"\n== {engine.summary} (loaded in {load_s:.1f} s)", flush=True)
        if "engine" in suites:
            figures = {"load_s": load_s, **measure_engine(engine, args.tokens, args.batch, args.repeat)}
            report["results"][label] = figures
            _print_figures(figures, args.batch)
        if "documents" in suites:
            from assistant.documents.bench import bench_documents

            documents = bench_documents(engine, n_images=args.images, batch_size=args.batch)
            report.setdefault("documents", {})[label] = documents
            _print_documents(documents)
        del engine
    if "stt" in suites:
        from assistant.speech.stt import bench_transcription

        report["stt"] = bench_transcription(args.stt_model)
        print("\n== speech to text")
        for key, value in report["stt"].items():
            print(f"  {key:<42} {value}")
    results = report["results"]
    if "int8" in results and "bf16" in results:
        report["int8_over_bf16_describe"] = results["int8"]["describe_s"] / results["bf16"]["describe_s"]
        report["int8_over_bf16_first_sentence"] = (
            results["int8"]["first_sentence_s"] / results["bf16"]["first_sentence_s"]
        )
    print("\nTargets:")
    for key, limit, meaning in TARGETS:
        for label, value in _values(report, key):
            met = value < limit if key == "batch_over_singles" else value <= limit
            verdict = "met" if met else "MISSED"
            print(f"  {label}{key} = {value:.3f} (limit {limit}): {verdict} — {meaning}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return 0


def _values(report: dict, key: str):
    if key in report:
        yield "", report[key]
    for label, figures in report["results"].items():
        if key in figures:
            yield f"[{label}] ", figures[key]


def _print_figures(figures: dict, batch: int) -> None:
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
        (f"batch of {batch}", "batch_s", "s"),
        (f"{batch} one by one", "singles_s", "s"),
    ]
    for name, key, unit in rows:
        print(f"  {name:<42} {figures[key]:8.3f} {unit}")


def _print_documents(documents: dict) -> None:
    print(f"  alt-text for {documents['n_images']} images in {documents['documents']} documents:")
    for mode in ("batched", "one_by_one"):
        figures = documents[mode]
        details = ", ".join(f"{key} {value}" for key, value in figures.items())
        print(f"    {mode.replace('_', ' ')}: {details}")


def _argv(args) -> list[str]:
    parts = ["bench"]
    for flag in ("suite", "synthetic", "model", "compare", "device"):
        value = getattr(args, flag, None)
        if value and not (flag == "device" and value == "auto"):
            parts += [f"--{flag}", str(value)]
    if not args.compare and args.precision != "auto":
        parts += ["--precision", args.precision]
    parts += ["--tokens", str(args.tokens), "--batch", str(args.batch), "--repeat", str(args.repeat)]
    return parts
