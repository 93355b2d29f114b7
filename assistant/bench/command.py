"""`assistant bench`: where the time goes, measured side by side in one run.

Suites: `engine` (the breakdown of describing and asking), `documents` (alt-text throughput),
`hostile` (memory and time refusing zip and pixel bombs; no model), `stt` (speech to text), `app`
(start-up, idle CPU, hotkey to cue and to first spoken word with the screen's text read along, "Read
the text" to its first word), `startup` (`assistant run` to "Ready" and `assistant describe` to its
output, first and later starts, with memory), `ocr` (reading the text on rendered screens).
Every figure is the median of `--repeat` runs; ratios compare things measured in the same process.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.cli.model_options import add_model_arguments
from assistant.errors import UserError

if TYPE_CHECKING:
    from assistant.engine.base import Engine
    from assistant.engine.blip2 import Blip2Engine

# Targets from the issues, as (figure, limit, what it means).
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
SUITES = ("engine", "documents", "hostile", "stt", "app", "screen-reader", "startup", "ocr")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser(
        "bench",
        help="measure speed",
        description="Time each stage of describing and asking, side by side, and print a breakdown.",
    )
    add_model_arguments(bench)
    bench.add_argument(
        "--synthetic", metavar="ARCH", help="random weights of a known architecture, e.g. blip2-opt-2.7b"
    )
    bench.add_argument("--compare", metavar="P1,P2", help="precisions to compare in one run, e.g. bf16,int8")
    bench.add_argument(
        "--batch", type=int, default=8, metavar="N", help="batch size to compare with N singles"
    )
    bench.add_argument(
        "--repeat", type=int, default=3, metavar="R", help="repetitions of each timing (median)"
    )
    bench.add_argument("--tokens", type=int, default=20, metavar="T", help="tokens generated per description")
    bench.add_argument(
        "--suite",
        default="engine",
        help="what to measure: engine, documents, hostile, stt, app, screen-reader, startup, ocr (comma-separated)",
    )
    bench.add_argument("--images", type=int, default=16, metavar="N", help="images for the documents suite")
    bench.add_argument("--stt-model", metavar="ID_OR_PATH", help="speech-recognition model for the stt suite")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    bench.set_defaults(handler=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    try:
        return run_benchmark(args)
    finally:
        if getattr(args, "synthetic_folder", None):  # the random checkpoint written for this run
            shutil.rmtree(args.synthetic_folder, ignore_errors=True)


def _engine_for(args: argparse.Namespace, precision: str) -> Blip2Engine:
    """The engine to measure: a real model through load_engine, or a synthetic full-size one."""
    import torch

    from assistant.engine.blip2 import Blip2Engine
    from assistant.engine.quantized import quantize_int8_
    from assistant.engine.runtime import Runtime, is_weight_precision

    if args.synthetic and _on_gpu(args):
        from assistant.engine import load_engine

        return _blip2(
            load_engine(_synthetic_checkpoint(args), device="cuda", precision=precision, progress=False)
        )
    if args.synthetic:
        from transformers.utils import logging as hf_logging

        from assistant.bench.synthetic import build_full_size

        hf_logging.set_verbosity_error()
        precision = "int8" if precision == "auto" else precision
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "int8": torch.bfloat16}
        model, processor = build_full_size(args.synthetic, dtype=dtype[precision])
        if precision == "int8":
            quantize_int8_(model)
        if not is_weight_precision(precision) or precision == "int4":
            raise UserError("A synthetic model on the processor runs in fp32, bf16, fp16 or int8.")
        runtime = Runtime("cpu", precision, "synthetic random weights")
        return Blip2Engine(model, processor, runtime, f"synthetic {args.synthetic}")
    from assistant.engine import load_engine

    return _blip2(load_engine(args.model, device=args.device, precision=precision))


def _blip2(engine: Engine) -> Blip2Engine:
    """The engine benchmark times BLIP-2's own stages, so it needs a BLIP-2 engine."""
    from assistant.engine.blip2 import Blip2Engine

    if not isinstance(engine, Blip2Engine):
        raise UserError(f"The engine benchmark measures BLIP-2 models; {engine.summary} is not one.")
    return engine


def _on_gpu(args: argparse.Namespace) -> bool:
    import torch

    return args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())


def run_benchmark(args: argparse.Namespace) -> int:
    import torch

    from assistant.bench.engine import measure_engine

    precisions = [p.strip() for p in (args.compare or args.precision).split(",") if p.strip()]
    report: dict[str, Any] = {
        "command": "assistant " + " ".join(_argv(args)),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
        "model": args.synthetic or args.model or "default",
        "tokens": args.tokens,
        "batch": args.batch,
        "results": {},
    }
    print(f"Benchmark: {report['model']}, {args.tokens} tokens per description, {report['machine']}")
    suites = {name.strip() for name in args.suite.split(",")}
    unknown = suites - set(SUITES)
    if unknown:
        raise UserError(
            f"Unknown benchmark suite {', '.join(sorted(unknown))}: choose from {', '.join(SUITES)}."
        )
    if "startup" in suites:  # first, while this process holds no model: two full-size ones may not fit
        report["startup"] = _bench_startup(args, precisions)
    for precision in precisions if suites & {"engine", "documents", "app"} else []:
        if "app" in suites:  # first: the app builds its engine on its own model thread, as it does for users
            report.setdefault("app", {})[precision] = _bench_app(args, precision)
            _print_mapping(report["app"][precision])
        if not suites & {"engine", "documents"}:
            continue
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
            from assistant.bench.documents import bench_documents

            documents = bench_documents(engine, n_images=args.images, batch_size=args.batch)
            report.setdefault("documents", {})[label] = documents
            _print_documents(documents)
        del engine
    if "hostile" in suites:
        from assistant.bench.documents import bench_hostile

        report["hostile"] = bench_hostile()
        print("\n== hostile documents, each run in a process of its own")
        _print_hostile(report["hostile"])
    if "stt" in suites:
        from assistant.bench.stt import bench_transcription

        report["stt"] = bench_transcription(args.stt_model)
        print("\n== speech to text")
        _print_mapping(report["stt"])
    if "screen-reader" in suites:
        from assistant.bench.screen_reader import bench_screen_reader_summary

        report["screen_reader"] = bench_screen_reader_summary(args.repeat * 10)
        print("\n== the screen reader, through a private speech-dispatcher")
        _print_mapping(report["screen_reader"])
    if "ocr" in suites:
        from PIL import Image

        from assistant.bench.ocr import bench_ocr, median_seconds
        from assistant.capture.blank import blank_colour

        report["ocr"] = bench_ocr(args.repeat)
        blank = Image.new("RGB", (1920, 1080), "black")
        report["ocr"]["blank_check_s"] = median_seconds(lambda: blank_colour(blank), args.repeat)
        print("\n== reading the text on the screen (RapidOCR)")
        _print_mapping(report["ocr"])
    results = report["results"]
    if len(results) > 1:
        baseline, *others = results
        for label in others:
            for figure, name in (("describe_s", "describe"), ("first_sentence_s", "first_sentence")):
                ratio = results[label][figure] / results[baseline][figure]
                report[f"{label}_over_{baseline}_{name}"] = ratio
                print(f"{label} over {baseline}, {name.replace('_', ' ')} time: {ratio:.2f}x")
    if "int8" in results and "bf16" in results:
        report["int8_over_bf16_describe"] = results["int8"]["describe_s"] / results["bf16"]["describe_s"]
        report["int8_over_bf16_first_sentence"] = (
            results["int8"]["first_sentence_s"] / results["bf16"]["first_sentence_s"]
        )
    print("\nTargets:")
    for key, limit, meaning in TARGETS:
        if key == "int8_over_bf16_describe" and _on_gpu(args):
            continue  # a target for the processor's int8, not for bitsandbytes'
        for where, value in _values(report, key):
            met = value < limit if key == "batch_over_singles" else value <= limit
            _print_target(f"{where}{key}", value, limit, met, meaning)
    if "hostile" in report:
        from assistant.bench.documents import HOSTILE_PEAK_MB, HOSTILE_SECONDS

        for label, figures in report["hostile"].items():
            if label.startswith("baseline") or "peak_mb" not in figures:
                continue
            meaning = "refusing a bomb, in one sentence"
            for key, limit in (("peak_mb", HOSTILE_PEAK_MB), ("seconds", HOSTILE_SECONDS)):
                _print_target(f"[{label}] {key}", figures[key], limit, figures[key] <= limit, meaning)
    if "app" in report:
        from assistant.bench.app import TARGETS as APP_TARGETS

        for label, figures in report["app"].items():
            for key, limit, meaning in APP_TARGETS:
                if isinstance(figures.get(key), float):
                    _print_target(f"[app {label}] {key}", figures[key], limit, figures[key] <= limit, meaning)
    if "startup" in report:
        from assistant.bench.startup import TARGETS as STARTUP_TARGETS

        figures = {**report["startup"].get("int8", {}), **report["startup"].get("comparisons", {})}
        for key, limit, meaning in STARTUP_TARGETS:
            if isinstance(figures.get(key), float):
                _print_target(f"[startup] {key}", figures[key], limit, figures[key] <= limit, meaning)
    if "screen_reader" in report:
        from assistant.bench.screen_reader import TARGETS as SCREEN_READER_TARGETS

        for key, limit, meaning in SCREEN_READER_TARGETS:
            value = report["screen_reader"][key]
            _print_target(f"[screen reader] {key}", value, limit, value <= limit, meaning)
    if "ocr" in report:
        from assistant.bench.ocr import TARGETS as OCR_TARGETS

        blank_target = ("blank_check_s", 0.2, "telling a blank 1920x1080 screen takes at most 0.2 s")
        for key, limit, meaning in (*OCR_TARGETS, blank_target):
            value = report["ocr"][key]
            met = value >= limit if key == "words_read_right" else value <= limit
            _print_target(f"[ocr] {key}", value, limit, met, meaning)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return 0


def _print_target(name: str, value: float, limit: float, met: bool, meaning: str) -> None:
    print(f"  {name} = {value:.3f} (limit {limit}): {'met' if met else 'MISSED'} — {meaning}")


def _values(report: dict[str, Any], key: str) -> Iterator[tuple[str, float]]:
    if key in report:
        yield "", report[key]
    for label, figures in report["results"].items():
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


def _print_documents(documents: dict[str, Any]) -> None:
    print(f"  alt-text for {documents['n_images']} images in {documents['documents']} documents:")
    for mode in ("batched", "one_by_one"):
        figures = documents[mode]
        details = ", ".join(f"{key} {value}" for key, value in figures.items())
        print(f"    {mode.replace('_', ' ')}: {details}")


def _argv(args: argparse.Namespace) -> list[str]:
    parts = ["bench"]
    for flag in ("suite", "synthetic", "model", "compare", "device"):
        value = getattr(args, flag, None)
        if value and not (flag == "device" and value == "auto"):
            parts += [f"--{flag}", str(value)]
    if not args.compare and args.precision != "auto":
        parts += ["--precision", args.precision]
    parts += ["--tokens", str(args.tokens), "--batch", str(args.batch), "--repeat", str(args.repeat)]
    return parts


def _bench_startup(args: argparse.Namespace, precisions: list[str]) -> dict[str, Any]:
    """Each precision's start-up in processes of its own (see assistant.bench.startup)."""
    from assistant.bench.startup import compare, measure_startup

    model = args.model or (_synthetic_checkpoint(args) if args.synthetic else None)
    if model is None:
        raise UserError("The startup suite needs a model: give --model ID_OR_FOLDER or --synthetic ARCH.")
    device = "cuda" if _on_gpu(args) else "cpu"
    startup: dict[str, dict[str, Any]] = {}
    for precision in precisions:
        print(f"\n== start-up, {precision} on {device}", flush=True)
        startup[precision] = measure_startup(model, precision, device)
        _print_mapping(startup[precision])
    startup["comparisons"] = compare(startup)
    _print_mapping(startup["comparisons"])
    return startup


def _bench_app(args: argparse.Namespace, precision: str) -> dict[str, Any]:
    """The app's own figures. The engine behind the first word is loaded on the app's model thread, as
    for users; a synthetic model is first written as a checkpoint, so `assistant run` can load it too."""
    from assistant.bench.app import bench_app
    from assistant.engine import load_engine

    print(f"\n== the app ({precision})", flush=True)
    full_model = _synthetic_checkpoint(args) if args.synthetic else args.model

    def load() -> Engine:
        return load_engine(full_model, device=args.device, precision=precision, progress=False)

    runtime = ("--device", args.device, "--precision", precision)  # the same for `assistant run`

    if args.model:
        return bench_app(args.model, load=load, repeat=args.repeat, full_model=full_model, runtime=runtime)
    from assistant.bench.synthetic import build_tiny_checkpoint

    with tempfile.TemporaryDirectory() as folder:
        _off_this_thread(build_tiny_checkpoint, Path(folder))
        return bench_app(folder, load=load, repeat=args.repeat, full_model=full_model, runtime=runtime)


def _synthetic_checkpoint(args: argparse.Namespace) -> str:
    """The random full-size model written once per run as a checkpoint, for `from_pretrained`.

    Written by a child process, so the memory of building it is given back when it ends."""
    if not getattr(args, "synthetic_folder", None):
        args.synthetic_folder = tempfile.mkdtemp(prefix="assistant-synthetic-")
        print(f"Writing a random {args.synthetic} checkpoint to {args.synthetic_folder}", flush=True)
        code = "import sys, torch; from assistant.bench.synthetic import save_full_size; "
        code += "save_full_size(sys.argv[1], sys.argv[2], torch.float16)"
        subprocess.run([sys.executable, "-c", code, args.synthetic, args.synthetic_folder], check=True)
    return args.synthetic_folder


def _off_this_thread(function: Callable[..., object], *args: object) -> None:
    """Run torch work on a passing thread: on this one it would leave an OpenMP pool for good, and a
    second pool slows the thread the model runs on (see assistant.bench.app.measure_first_word)."""
    worker = threading.Thread(target=function, args=args)
    worker.start()
    worker.join()


def _print_hostile(results: dict[str, dict[str, Any]]) -> None:
    for label, figures in results.items():
        if "error" in figures:
            print(f"  {label}: FAILED {figures['error']}")
            continue
        print(
            f"  {label}: {figures['size_on_disk_kb']} KB on disk, peak {figures['peak_mb']:.0f} MB, "
            f"{figures['seconds']:.3f} s ({figures['process_s']:.2f} s with the process's start)"
        )
        if figures["refusal"]:
            print(f"    {figures['refusal']}")


def _print_mapping(figures: Mapping[str, object]) -> None:
    for key, value in figures.items():
        print(f"  {key:<42} {value}")
