"""Pictures described on Ray: a pool of actors, each loading the engine once, behind the `Engine`
interface, so the run (reading, containment, bomb limits, backups, atomic writes, the report) is the
single-machine `Runner`'s, with one code path for writing.

Ray is an optional extra (`pip install assistant[scale]`) and is imported only here, only when a run
asks for it. A Ray started here listens on 127.0.0.1 with its dashboard off: an unauthenticated Ray open
to the network runs anyone's code.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from assistant.engine.base import Detail, Engine, EngineError, TextCallback, Turn
from assistant.engine.server import ServerChoice
from assistant.errors import UserError
from assistant.i18n import _, ngettext

log = logging.getLogger(__name__)

#: `--ray` with no address: a Ray of this computer's own, started for the run.
LOCAL = "local"
#: "0" puts Ray in its single-computer mode, where every address it advertises and binds is 127.0.0.1.
#: On Linux, Ray otherwise turns `_node_ip_address="127.0.0.1"` into the network's address (and, since
#: 2.5x, binds its servers there). Read once, when Ray is imported.
SINGLE_COMPUTER_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
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
    """One actor: the engine loaded once, describing the chunks of pictures it is sent."""

    def __init__(self, recipe: EngineRecipe) -> None:
        self.engine = recipe.load()

    def describe(self, pictures: list[Image.Image], detail: Detail, batch_size: int) -> list[str] | str:
        """The descriptions, or the one sentence the engine failed with (the runner then tries the
        pictures one by one, as it does on one machine)."""
        try:
            return self.engine.describe_many(pictures, detail, batch_size)
        except EngineError as error:
            return str(error)

    def summary(self) -> str:
        return self.engine.summary


def spread(count: int, parts: int) -> list[range]:
    """`count` items in `parts` contiguous runs as even as can be, none empty."""
    parts = max(1, min(parts, count))
    size, extra = divmod(count, parts)
    runs, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        runs.append(range(start, end))
        start = end
    return runs


class RayEngine(Engine):
    """Describes a batch by sending an even share to each actor at once; results in input order. An
    actor that dies is restarted by Ray (loading its engine again) and its share sent again (up to
    RETRIES times); the
    descriptions come back to the one process that writes, so no picture is written twice."""

    def __init__(self, actors: Sequence[Any], summary: str) -> None:
        self.actors = list(actors)
        self._summary = summary
        self.notices: list[str] = []

    @property
    def summary(self) -> str:
        return self._summary

    def describe_many(
        self, images: Sequence[Image.Image], detail: Detail = "brief", batch_size: int = 8
    ) -> list[str]:
        import ray

        if not images:
            return []
        shares = spread(len(images), len(self.actors))
        calls = [
            actor.describe.remote([images[i] for i in share], detail, batch_size)
            for actor, share in zip(self.actors, shares, strict=False)
        ]
        try:
            answers = ray.get(calls)
        except ray.exceptions.RayError as error:
            log.error("Ray could not describe a batch", exc_info=error)
            raise EngineError(
                _("Ray could not describe these pictures ({kind}); run again to finish them.").format(
                    kind=type(error).__name__
                )
            ) from None
        texts: list[str] = []
        for answer in answers:
            if isinstance(answer, str):
                raise EngineError(answer)
            texts.extend(answer)
        return texts

    def describe(
        self,
        image: Image.Image,
        detail: Detail = "brief",
        on_text: TextCallback | None = None,
        cancel: Any = None,
    ) -> str:
        return self.describe_many([image], detail, 1)[0]

    def ask(
        self,
        image: Image.Image,
        question: str,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        cancel: Any = None,
        *,
        text_on_image: Sequence[str] = (),
    ) -> str:
        raise EngineError(
            _("Questions are answered on this computer; Ray only describes documents' pictures.")
        )


def on_loopback(address: str) -> bool:
    """Whether `address` (HOST:PORT or ray://HOST:PORT) is a Ray on this computer's 127.0.0.1."""
    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    return host in {"127.0.0.1", "localhost", "::1"}


def _import_ray(address: str) -> Any:
    # Joining a Ray kept to 127.0.0.1 needs the same mode: otherwise Ray turns 127.0.0.1 into the
    # network's address and waits minutes for a cluster that is not there.
    if address == LOCAL or on_loopback(address):
        os.environ[SINGLE_COMPUTER_ENV] = "0"
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
def ray_engine(recipe: EngineRecipe, address: str = LOCAL, actors: int = 0) -> Iterator[RayEngine]:
    """A `RayEngine` of `actors` actors (0: one per GPU, or else one per two CPUs). A Ray this process
    has already joined is used as it is, and only the actors end after; otherwise Ray is started (or
    joined) for the run and shut down after."""
    ray = _import_ray(address)
    owned = not ray.is_initialized()
    if owned:
        start(address)
    with contextlib.ExitStack() as stack:
        if owned:
            stack.callback(ray.shutdown)
        resources: dict[str, float] = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
        count = actors or gpus or max(1, cpus // 2)
        remote = ray.remote(
            num_cpus=1, num_gpus=1 if gpus else 0, max_restarts=RETRIES, max_task_retries=RETRIES
        )
        pool = [remote(Describer).remote(recipe) for _ in range(count)]
        stack.callback(lambda: [ray.kill(actor, no_restart=True) for actor in pool])
        try:
            summary = ray.get(pool[0].summary.remote())
        except ray.exceptions.RayError as error:  # the engine could not be loaded on the actor
            cause = getattr(error, "cause", None)
            if isinstance(cause, UserError):
                raise EngineError(str(cause)) from None
            log.error("The engine could not be loaded on Ray", exc_info=error)
            raise EngineError(
                _("The model could not be loaded on Ray ({kind}); the details are in the log.").format(
                    kind=type(error).__name__
                )
            ) from None
        yield RayEngine(
            pool,
            ngettext("{summary}, on {count} Ray actor", "{summary}, on {count} Ray actors", count).format(
                summary=summary, count=count
            ),
        )
