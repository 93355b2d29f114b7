"""`--suite scale`: pictures per second of `alt-text` on 1 and 2 Ray actors against the single process,
as ratios measured in one run (docs/alt-text-at-scale.md).

The model is --model, or the synthetic checkpoint with --synthetic, or else the tiny random BLIP-2 the
tests build (so the suite runs anywhere; its figures then measure the run's overhead more than a model).
Each mode runs --images and twice as many pictures (HTML documents, four to a document), each run
timed from loading the engine to the last document written. The rates are the second run's extra
pictures over its extra seconds, so a Ray run's start (its actors' processes, imports and engines, and
Ray Data's start) is reported on its own (`*_start_s`) rather than spread over the pictures. Ray itself
is started once, untimed. The local Ray listens on 127.0.0.1 only.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.bench.documents import make_corpus
from assistant.bench.loading import synthetic_checkpoint
from assistant.bench.suites import Bench, Scope, Target, show, target
from assistant.documents.ray_pipeline import RayRunner
from assistant.documents.ray_run import LOCAL, EngineRecipe, start
from assistant.documents.runner import Options, Runner

if TYPE_CHECKING:
    from assistant.documents.results import RunReport

SCOPE: Scope = "before models"  # its own engine here, and one in each actor
KEY = "scale"
RAY_OVERHEAD = 1.15  # the single process's pictures/s over one actor's, at most


def _seconds(run: Callable[[Path], RunReport], n_images: int) -> float:
    with tempfile.TemporaryDirectory(prefix="alt-text-scale-") as folder:
        make_corpus(Path(folder), n_images)
        started = time.perf_counter()
        report = run(Path(folder))
        wall = time.perf_counter() - started
    if report.failed:
        raise RuntimeError("the scale bench's run failed; see the alt-text log")
    return wall


def _rate(run: Callable[[Path], RunReport], n_images: int, repeat: int) -> tuple[float, float]:
    """Pictures per second once running, and the seconds before: from runs of n and 2n pictures (the
    median of each), the n more pictures' rate, so a start-up cost is not counted as a per-picture one."""
    shorter, longer = [], []
    for _ in range(max(1, repeat)):
        shorter.append(_seconds(run, n_images))
        longer.append(_seconds(run, 2 * n_images))
    once, twice = statistics.median(shorter), statistics.median(longer)
    if twice <= once:  # the machine's load swamped the difference: the longer run's rate, start and all
        return 2 * n_images / twice, float("nan")
    rate = n_images / (twice - once)
    return rate, max(0.0, once - n_images / rate)


def _recipe(bench: Bench, folder: Path) -> EngineRecipe:
    args = bench.args
    if args.synthetic:
        model = synthetic_checkpoint(args)
    elif args.model:
        model = args.model
    else:
        from assistant.bench.synthetic import build_tiny_checkpoint

        model = str(build_tiny_checkpoint(folder / "tiny-blip2"))
    precision = "fp32" if not args.model and not args.synthetic else args.precision
    return EngineRecipe(model=model, device=args.device, precision=precision)


def bench_scale(bench: Bench) -> dict[str, Any]:
    """Each run is timed from loading the engine (here, or in each actor: a Ray run cannot load its
    actors' engines before it starts) to the last document written; the rates leave the start out."""
    args = bench.args
    n_images, batch = args.images, args.batch
    with tempfile.TemporaryDirectory(prefix="alt-text-scale-model-") as folder:
        recipe = _recipe(bench, Path(folder))
        options = Options(write=True, batch_size=batch)
        single, single_start = _rate(
            lambda docs: Runner(recipe.load(), options).run([docs]), n_images, args.repeat
        )
        figures: dict[str, Any] = {
            "images": n_images,
            "single_pictures_per_s": round(single, 3),
            "single_start_s": round(single_start, 2),
        }
        start(LOCAL)  # before Ray is first imported: it keeps Ray to 127.0.0.1; not timed
        import ray

        try:
            for actors in (1, 2):

                def on_ray(docs: Path, actors: int = actors) -> RunReport:
                    return RayRunner(recipe, options, actors=actors).run([docs])

                rate, started = _rate(on_ray, n_images, args.repeat)
                figures[f"ray_{actors}_pictures_per_s"] = round(rate, 3)
                figures[f"ray_{actors}_start_s"] = round(started, 2)
                figures[f"ray_{actors}_over_single"] = round(rate / single, 3)
        finally:
            ray.shutdown()
    figures["single_over_ray_1"] = round(single / figures["ray_1_pictures_per_s"], 3)
    return figures


def run(bench: Bench) -> dict[str, Any]:
    figures = bench_scale(bench)
    print("\n== scale (alt-text on Ray against one process)")
    show(figures)
    return figures


def targets(figures: dict[str, Any], bench: Bench) -> Iterator[Target]:
    yield target(
        "[scale] single_over_ray_1",
        figures["single_over_ray_1"],
        RAY_OVERHEAD,
        f"Ray's overhead on one actor, at most {RAY_OVERHEAD}x the single process's time",
    )
