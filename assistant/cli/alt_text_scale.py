"""`alt-text` at scale: --concurrency with a model server, --ray, and the journal that --restart forgets."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

from assistant.cli.model_options import server_option
from assistant.errors import UserError
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.documents.journal import Journal
    from assistant.documents.runner import Options, Progress, Runner
    from assistant.engine import Engine

LOCAL_RAY = "local"  # the same as assistant.documents.ray_run.LOCAL, which imports more than the CLI needs


class ConcurrencyWithoutServer(UserError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "--concurrency needs --server URL (requests in flight) or --ray (engines); add one, or leave it out."
            )
        )


@contextlib.contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (`kill`, a scheduler's stop) ends the run as Ctrl+C does: the document being written is
    finished or left as it was, the journal and report say what is done, and the exit status is 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_usage(args: argparse.Namespace) -> None:
    """Before any model loads: --concurrency means nothing for the local model alone."""
    if args.concurrency and not args.server and args.ray is None:
        raise ConcurrencyWithoutServer()


def _model_key(args: argparse.Namespace) -> str:
    """What chooses the model, so that a run with another model does not skip what this one finished."""
    return "|".join(str(getattr(args, name, "") or "") for name in ("model", "server", "server_model"))


def journal_of(args: argparse.Namespace, options: Options) -> Journal | None:
    """The journal of this command's earlier runs; None in a dry run, which finishes nothing."""
    if not options.write:
        return None
    from assistant.documents.journal import journal_for

    journal = journal_for(options, _model_key(args))
    if args.restart:
        journal.path.unlink(missing_ok=True)
        journal = journal_for(options, _model_key(args))
    return journal


def set_concurrency(engine: Engine, concurrency: int | None, options: Options) -> None:
    """Up to `concurrency` pictures in flight at once to the model server (batches at least as big)."""
    if not concurrency:
        return
    from assistant.engine.server import ServerEngine

    server = getattr(engine, "server", engine)  # ServerWithFallback keeps the server as .server
    if not isinstance(server, ServerEngine):
        raise ConcurrencyWithoutServer()
    server.concurrency = concurrency
    options.batch_size = max(options.batch_size, concurrency)


def ray_runner(
    args: argparse.Namespace, options: Options, progress: Progress, journal: Journal | None
) -> Runner:
    """The run on Ray: documents read as Ray Data tasks, pictures described by `--concurrency` actors
    (default: one per GPU, or one per two CPUs), each document written here as on one computer."""
    from assistant.documents.ray_pipeline import RayRunner
    from assistant.documents.ray_run import EngineRecipe

    recipe = EngineRecipe(
        model=args.model,
        device=args.device,
        precision=args.precision,
        image_tokens=getattr(args, "image_tokens", None) or 0,
        server=server_option(args),
    )
    return RayRunner(recipe, options, progress, journal, address=args.ray, actors=args.concurrency or 0)
