"""`--suite scale`: pictures per second of `alt-text` on 1 and 2 Ray actors against the single process,
as ratios measured in one run (docs/alt-text-at-scale.md).

The model is --model, or the synthetic checkpoint with --synthetic, or else the tiny random BLIP-2 the
tests build (so the suite runs anywhere; its figures then measure the run's overhead more than a model).
Each mode runs --images and twice as many pictures (HTML documents, four to a document), each run timed
from loading the engine to the last document written. The rate once running is taken inside each run,
from the progress bar's count of pictures described: the pictures after the first batch over the time
from the first batch back to the last, so a Ray run's start (its actors' processes, imports and engines,
and Ray Data's start) is not spread over the pictures; the start (`*_start_s`) is the rest of the run's
time. The figures are the medians of all the runs of a mode. The engine is loaded once, untimed, before
anything is timed: a new synthetic checkpoint is quantized into the int8 cache on its first load, which
counted in the single process's first run only. Ray itself is started once, untimed, and listens on
127.0.0.1 only.
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
from assistant.documents.runner import Options, Progress, Runner

if TYPE_CHECKING:
    from assistant.documents.results import RunReport

SCOPE: Scope = "before models"  # its own engine here, and one in each actor
KEY = "scale"
RAY_OVERHEAD = 1.15  # the single process's pictures/s over one actor's, at most


class _Clock:
    """A run's progress callback: when the first batch of its `n_images` pictures came back, and when
    the last picture did (the total grows as documents are opened, so it is not the mark)."""

    def __init__(self, n_images: int) -> None:
        self.n_images = n_images
        self.started = time.perf_counter()
        self.first = self.last = 0.0

    def __call__(
        self, images_done: int, images_total: int, documents_done: int, documents_total: int
    ) -> None:
        if images_done and not self.first:
            self.first = time.perf_counter()
        if images_done >= self.n_images and not self.last:
            self.last = time.perf_counter()


def _timed(
    run: Callable[[Path, Progress], RunReport], n_images: int, batch: int
) -> tuple[float | None, float]:
    """One run's rate once running (the pictures after the first batch over the seconds from the first
    batch back to the last picture; None where all came in one batch) and its wall time."""
    with tempfile.TemporaryDirectory(prefix="alt-text-scale-") as folder:
        make_corpus(Path(folder), n_images)
        clock = _Clock(n_images)
        report = run(Path(folder), clock)
        wall = time.perf_counter() - clock.started
    if report.failed:
        raise RuntimeError("the scale bench's run failed; see the alt-text log")
    rate = (
        (n_images - batch) / (clock.last - clock.first)
        if n_images > batch and clock.last > clock.first
        else None
    )
    return rate, wall


def _rate(
    run: Callable[[Path, Progress], RunReport], n_images: int, batch: int, repeat: int
) -> tuple[float, float]:
    """Pictures per second once running, and the seconds of start, over runs of n and 2n pictures
    (medians): the start is what each run took beyond its pictures at that rate."""
    timed = [
        (count, *_timed(run, count, batch))
        for _ in range(max(1, repeat))
        for count in (n_images, 2 * n_images)
    ]
    rates = [rate for _, rate, _ in timed if rate is not None]
    if not rates:
        raise RuntimeError("the scale bench needs two batches in a run: --images at least --batch")
    rate = statistics.median(rates)
    return rate, statistics.median(max(0.0, wall - count / rate) for count, _, wall in timed)


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
        recipe.load()  # untimed: a new checkpoint's int8 cache is made here, not in the first timed run
        single, single_start = _rate(
            lambda docs, clock: Runner(recipe.load(), options, clock).run([docs]),
            n_images,
            batch,
            args.repeat,
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

                def on_ray(docs: Path, clock: Progress, actors: int = actors) -> RunReport:
                    return RayRunner(recipe, options, clock, actors=actors).run([docs])

                rate, started = _rate(on_ray, n_images, batch, args.repeat)
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
