"""`assistant models`: the known models and what is downloaded, a download, and the models prepared
for this computer (listed and removed)."""

from __future__ import annotations

import argparse

from assistant.cli import say_error
from assistant.engine.models import DEFAULT_MODEL
from assistant.i18n import _, decimal


def run_models(args: argparse.Namespace) -> int:
    from assistant.engine.models import KNOWN_MODELS, cached_path, download

    if args.models_command == "download":
        path = download(args.model, again=args.again)
        print(_("{model} is downloaded to {path}.").format(model=args.model, path=path))
        return 0
    if args.models_command == "clean":
        return _clean_prepared()
    for known in KNOWN_MODELS:
        cached = cached_path(known.id)
        state = _("downloaded, in {cached}").format(cached=cached) if cached else _("not downloaded")
        # Translators: after a model's name in `assistant models`.
        default = _(" (default)") if known.id == DEFAULT_MODEL else ""
        print(f"{known.id} ({known.short}){default}: {known.facts()}; {state}. {known.note_sentence()}.")
    _list_prepared()
    print(_("Download one with: assistant models download ID"))
    return 0


def _size(size: int) -> str:
    return (
        _("{size} GB").format(size=decimal(size / 1024**3))
        if size >= 1024**3
        else _("{size} MB").format(size=decimal(size / 1024**2))
    )


def _list_prepared() -> None:
    from assistant.engine.quantized import cache_folder, saved_models

    saved = saved_models()
    if not saved:
        print(
            _("No model is prepared for this computer yet (they are kept in {folder}).").format(
                folder=cache_folder()
            )
        )
        return
    print(_("Prepared for this computer (remove with: assistant models clean):"))
    for model in saved:
        # Translators: a prepared model in `assistant models`: its source, precision, size and folder.
        line = _("{source}, {precision}: {size}, in {path}").format(
            source=model.source, precision=model.precision, size=_size(model.size), path=model.path
        )
        print(f"  {line}")


def _clean_prepared() -> int:
    from assistant.engine.quantized import cache_folder, remove_saved

    try:
        freed = remove_saved()
    except OSError as error:
        say_error(
            _(
                "The prepared models in {cache_folder} could not be removed ({error}). Check that folder."
            ).format(cache_folder=cache_folder(), error=error)
        )
        return 1
    print(
        _("Removed the prepared models ({size} freed). Each is prepared again when next used.").format(
            size=_size(freed)
        )
    )
    return 0
