"""Ray for `alt-text --ray`: starting or joining it, kept to 127.0.0.1 when it is this computer's, and
the actors of Ray Data's pool (`Describer`), each loading the engine once. The run itself is
documents/ray_pipeline.py.

Ray is an optional extra (`pip install assistant[scale]`) and is imported only here, only when a run
asks for it. A Ray started here listens on 127.0.0.1 with its dashboard off: an unauthenticated Ray open
to the network runs anyone's code.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from assistant.engine.base import Engine, EngineError
from assistant.engine.server import ServerChoice
from assistant.errors import UserError
from assistant.i18n import _

log = logging.getLogger(__name__)

#: `--ray` with no address: a Ray of this computer's own, started for the run.
LOCAL = "local"
#: "0" puts Ray in its single-computer mode, where every address it advertises and binds is 127.0.0.1.
#: On Linux, Ray otherwise turns `_node_ip_address="127.0.0.1"` into the network's address (and, since
#: 2.5x, binds its servers there). Read once, when Ray is imported.
SINGLE_COMPUTER_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
AUTH_MODE_ENV = "RAY_AUTH_MODE"
LOOPBACK = "127.0.0.1"
#: Times an actor is restarted, and its call sent again, after it dies: enough for a lost node or a
#: killed process; an engine that dies every time (out of memory) then fails its pictures, not the run.
RETRIES = 4


class RayError(UserError):
    """Ray is missing or its cluster cannot be reached; the message says what to do."""


@dataclass(frozen=True)
class EngineRecipe:
    """What each actor loads: the same choice of model the single-machine run would load."""

    model: str | None = None
    device: str = "auto"
    precision: str = "auto"
    image_tokens: int = 0
    server: ServerChoice | None = None
    server_concurrency: int = 0  # 0: the server engine's own

    def load(self) -> Engine:
        from assistant.engine import load_engine
        from assistant.engine.server import ServerEngine

        engine = load_engine(
            self.model,
            device=self.device,
            precision=self.precision,
            progress=False,
            server=self.server,
            image_tokens=self.image_tokens,
        )
        server = getattr(engine, "server", engine)
        if self.server_concurrency and isinstance(server, ServerEngine):
            server.concurrency = self.server_concurrency
        return engine


class Describer:
    """One actor of Ray Data's pool (`map_batches`): the engine loaded once, describing the pictures of
    each batch it is sent in their documents' languages. Records pass through; pictures do not go
    back, only their descriptions (or the one sentence a picture failed with) and the text read on them.

    Every torch operation runs on one thread of the actor's own (`engine_thread`), as the app keeps
    them on its model thread. Ray Data builds the actor on the process's main thread and calls it on a
    thread of its own; where loading computes (an int8 model quantized on its first use, as on a node
    without the prepared cache), torch's OpenMP then keeps a pool of helper threads for each of the two
    threads, and with two pools on the actor's cores libgomp puts the helpers to sleep between the
    hundreds of small parallel regions of each generated token instead of letting them spin, for every
    batch of the run (BENCHMARKS.md: the app's first word was 15 % slower so)."""

    def __init__(self, recipe: EngineRecipe, batch_size: int, include_ocr: bool) -> None:
        self.engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        self.engine = self.engine_thread.submit(recipe.load).result()
        self.batch_size, self.include_ocr = batch_size, include_ocr
        self.pictures = 0  # given to this actor so far

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return self.engine_thread.submit(self._describe, batch).result()

    def _describe(self, batch: dict[str, Any]) -> dict[str, Any]:
        from assistant.documents.describing import describe_each, prepared_for, speaking, words_on
        from assistant.documents.ray_gather import picture_of

        keys = [str(key) for key in batch["key"]]
        texts, failed, words = [""] * len(keys), [False] * len(keys), [""] * len(keys)
        rows = [index for index, key in enumerate(keys) if key]
        self.pictures += len(rows)
        prepared_for(self.engine, self.pictures)
        for wanted in dict.fromkeys(keys[index].split(":", 1)[0] for index in rows):
            chosen = [index for index in rows if keys[index].startswith(wanted + ":")]
            pictures = [picture_of({name: batch[name][index] for name in batch}) for index in chosen]
            with speaking(self.engine, wanted) as engine:
                described = describe_each(engine, pictures, self.batch_size)
            for index, picture, text in zip(chosen, pictures, described, strict=True):
                failed[index] = isinstance(text, EngineError)
                texts[index] = str(text)
                if self.include_ocr and not failed[index]:
                    words[index] = words_on(picture)
        return {
            "doc": batch["doc"],
            "key": keys,
            "text": texts,
            "failed": failed,
            "ocr": words,
            "record": batch["record"],
        }


def on_loopback(address: str) -> bool:
    """Whether `address` (HOST:PORT or ray://HOST:PORT) is a Ray on this computer's 127.0.0.1."""
    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    return host in {"127.0.0.1", "localhost", "::1"}


def _import_ray(address: str) -> Any:
    # Joining a Ray kept to 127.0.0.1 needs the same mode: otherwise Ray turns 127.0.0.1 into the
    # network's address and waits minutes for a cluster that is not there.
    if address == LOCAL or on_loopback(address):
        os.environ[SINGLE_COMPUTER_ENV] = "0"
    if address == LOCAL and "ray" not in sys.modules:
        # Ray 2.5x turns token authentication on for a Ray it starts where RAY_AUTH_MODE is unset, and
        # says so in a warning line on every run; asked for by name, it is on and not warned about.
        # Only before Ray is imported: it reads the mode then.
        os.environ.setdefault(AUTH_MODE_ENV, "token")
    try:
        import ray
    except ImportError:
        raise RayError(_("Ray is not installed; install it with: pip install 'assistant[scale]'.")) from None
    return ray


def start(address: str = LOCAL, num_cpus: int | None = None) -> None:
    """Start a Ray of this computer's own (LOCAL), on 127.0.0.1 only with its dashboard off, or join
    the cluster at `address`."""
    ray = _import_ray(address)
    try:
        if address != LOCAL:
            ray.init(address=address, log_to_driver=False)
            return
        # address="local" always starts a new Ray (never one that RAY_ADDRESS names).
        ray.init(
            address="local",
            _node_ip_address=LOOPBACK,
            include_dashboard=False,
            num_cpus=num_cpus or os.cpu_count() or 1,
            log_to_driver=False,
            logging_level=logging.WARNING,  # not "Started a local Ray instance." on every run
            # Ray runs its workers 15 steps nicer than itself, so any busy program on this computer took
            # the describing actors' processor (a test next to others ran 38 times slower): the run's
            # workers run at the command's own priority, as the run without Ray does.
            _system_config={"worker_niceness": 0},
        )
    except (ConnectionError, ValueError, RuntimeError) as error:
        raise RayError(
            _(
                "Ray at {address} could not be reached ({error}); check the address ('auto' or ray://HOST:10001)."
            ).format(address=address, error=error)
        ) from None
    if {node["NodeManagerAddress"] for node in ray.nodes()} != {LOOPBACK}:
        ray.shutdown()  # Ray was imported before SINGLE_COMPUTER_ENV could be set: it would listen on the network
        raise RayError(
            _(
                "The local Ray would have listened on the network, not only on this computer, so it was stopped; run the command again in a new process, or set {single_computer_env}=0."
            ).format(single_computer_env=SINGLE_COMPUTER_ENV)
        )


@contextlib.contextmanager
def session(address: str = LOCAL) -> Iterator[Any]:
    """The `ray` module, joined to a Ray for the run: one this process has already joined is used as it
    is; otherwise Ray is started (LOCAL) or joined for the run and shut down after."""
    ray = _import_ray(address)
    owned = not ray.is_initialized()
    if owned:
        start(address)
    try:
        yield ray
    finally:
        if owned:
            ray.shutdown()


@dataclass(frozen=True)
class Pool:
    """The describing actors: how many, and what each takes."""

    actors: int
    gpus: int  # each actor's (0 or 1)
    cpus: int  # each actor's: torch uses as many threads (Ray sets OMP_NUM_THREADS to it)


def pool_for(ray: Any, wanted: int = 0, documents: int = 0) -> Pool:
    """`wanted` actors, else one per GPU, else one per two CPUs; no more than `documents` (where given):
    Ray Data sends a document's pictures, one block, to one actor, so more would load an engine for
    nothing (and Ray Data warns on the terminal of a pool it cannot fill). Where there are no GPUs each
    actor takes its share of the CPUs, as many as one node has at most: one actor on two cores computes
    on both, as the single process does, instead of on one (the 1.15x target was missed by that)."""
    resources: dict[str, float] = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
    count = wanted or gpus or max(1, cpus // 2)
    count = max(1, min(count, documents)) if documents else count
    if gpus:
        return Pool(count, 1, 1)
    per_node = max((int(node["Resources"].get("CPU", 0)) for node in ray.nodes() if node["Alive"]), default=1)
    return Pool(count, 0, max(1, min(cpus // count, per_node)))
