"""`assistant bench`: where the time goes, measured side by side in one run.

Suites: `engine` (the breakdown of describing and asking), `documents` (alt-text throughput),
`hostile` (memory and time refusing zip and pixel bombs; no model), `stt` (speech to text), `app`
(start-up, idle CPU, hotkey to cue and to first spoken word with the screen's text read along, "Read
the text" to its first word), `screen-reader` (a sentence and Stop to speech-dispatcher), `startup`
(`assistant run` to "Ready" and `assistant describe` to its output, first and later starts, with
memory), `ocr` (reading the text on rendered screens); each a module of its own, registered in
`assistant.bench.suites`. Every figure is the median of `--repeat` runs; ratios compare things
measured in the same process.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import time
from pathlib import Path
from typing import Any

from assistant.bench.suites import SUITES, Bench, Suite, load
from assistant.cli.model_options import add_model_arguments
from assistant.errors import UserError
from assistant.i18n import _


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser(
        "bench",
        # Translators: the bench command's line in `assistant --help`; the bench itself speaks English.
        help=_("measure speed"),
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
        help=f"what to measure: {', '.join(SUITES)} (comma-separated)",
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


def run_benchmark(args: argparse.Namespace) -> int:
    import torch

    from assistant.bench.loading import engine_for

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
    asked = {name.strip() for name in args.suite.split(",")}
    unknown = asked - set(SUITES)
    if unknown:
        raise UserError(
            f"Unknown benchmark suite {', '.join(sorted(unknown))}: choose from {', '.join(SUITES)}."
        )
    suites = [load(name) for name in SUITES if name in asked]
    bench = Bench(args, report)

    def scoped(scope: str) -> list[Suite]:
        return [suite for suite in suites if scope == suite.SCOPE]

    for suite in scoped("before models"):  # while this process holds no model: two full-size ones may not fit
        report[suite.KEY] = suite.run(bench)
    with_engine = scoped("each engine")
    for precision in precisions if scoped("each precision") or with_engine else []:
        bench.precision = precision
        for suite in scoped("each precision"):  # the app builds its engine on its own model thread
            report.setdefault(suite.KEY, {})[precision] = suite.run(bench)
        if not with_engine:
            continue
        start = time.perf_counter()
        bench.engine = engine_for(args, precision)
        bench.load_s = time.perf_counter() - start
        label = bench.engine.runtime.precision
        print(f"\n== {bench.engine.summary} (loaded in {bench.load_s:.1f} s)", flush=True)
        for suite in with_engine:
            report.setdefault(suite.KEY, {})[label] = suite.run(bench)
        bench.engine = None  # freed before the next precision's is built
    bench.precision = ""
    for suite in scoped("once"):
        report[suite.KEY] = suite.run(bench)
    _compare_precisions(report)
    print("\nTargets:")
    for suite in suites:
        for name, value, limit, met, meaning in suite.targets(report.get(suite.KEY), bench):
            print(f"  {name} = {value:.3f} (limit {limit}): {'met' if met else 'MISSED'} — {meaning}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nFigures written to {args.json}")
    return 0


def _compare_precisions(report: dict[str, Any]) -> None:
    """Each precision's times over the first's, measured in this one run."""
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
