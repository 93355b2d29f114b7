"""What the model sees and says: each model family behind one small interface. No Qt here.

Importing this package is cheap; torch and transformers load when an engine is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.engine.base import Cancelled, Detail, Engine, EngineError, Turn
from assistant.engine.models import DEFAULT_MODEL

if TYPE_CHECKING:
    from assistant.engine.server import ServerChoice

__all__ = ["DEFAULT_MODEL", "Cancelled", "Detail", "Engine", "EngineError", "Turn", "load_engine"]


def load_engine(
    model: str | None = None,
    device: str = "auto",
    precision: str = "auto",
    progress: bool = True,
    on_progress: Callable[[str], None] | None = None,
    server: ServerChoice | None = None,
    image_tokens: int = 0,
    language: str | None = None,
    translate: bool = True,
) -> Engine:
    """Load a model (hub id or local folder) of a family we run, downloading it with progress if it is
    missing. The family is read from the checkpoint's config.json before anything is loaded or prepared.

    `progress` draws a bar on the terminal; `on_progress` receives the progress in words. `image_tokens`
    bounds the image tokens a picture becomes, for the families that read it in many (0: the family's
    default).

    Answers come in `language` (default: the user's, assistant.i18n): a family that speaks it is asked
    in it, an English-only one is translated on this computer unless `translate` is off
    (assistant.engine.translate.answer_in).

    With `server`, the model server answers; `model`, when given, is the local model that answers
    when the server fails, loaded only then.
    """
    if server is not None:
        from assistant.engine.server import ServerEngine
        from assistant.engine.server_fallback import ServerWithFallback
        from assistant.i18n import language as user_language

        remote = ServerEngine(server)
        # A served chat model is asked in the language; none is translated here.
        remote.answer_language = (language or user_language()).split("_")[0]
        if model is None:
            return remote

        def load_local() -> Engine | None:
            from assistant.engine.models import cached_path

            if cached_path(model) is None:  # only a model already here: no download mid-request
                return None
            return load_engine(
                model,
                device,
                precision,
                progress,
                on_progress,
                image_tokens=image_tokens,
                language=language,
                translate=translate,
            )

        return ServerWithFallback(remote, load_local)
    from assistant.engine.families import family_of
    from assistant.engine.models import ensure_model

    name = model or DEFAULT_MODEL
    folder = ensure_model(name, progress=progress, on_progress=on_progress, check=family_of)
    family = family_of(folder)
    engine = family.engine_class().load(
        folder, name, device=device, precision=precision, on_progress=on_progress, image_tokens=image_tokens
    )
    from assistant.engine.translate import answer_in
    from assistant.i18n import language as user_language

    return answer_in(engine, family, language or user_language(), translate, on_progress)
