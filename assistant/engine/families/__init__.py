"""Model families as plug-ins: each family's room says which checkpoints are its own and how to run them.

A checkpoint's family is chosen from its `config.json` (`architectures[0]`), as NVDA's captioner factory
does, before anything is loaded, converted or cached: a checkpoint of a family we cannot run gets one
sentence naming the families that work. Adding a family is its module (a cheap `FAMILY` description and
an engine module that imports torch) and one line in `FAMILIES`. No torch here.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.engine.base import EngineError
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.engine.base import Engine


class EngineLoader(Protocol):
    """A family's Engine class: `load` runs the checkpoint in `folder` (`name` for people)."""

    def load(
        self, folder: Path, name: str, device: str = ..., precision: str = ..., **options: Any
    ) -> Engine: ...


class UnknownFamily(EngineError):
    """The checkpoint belongs to no family this app can run. The command line points at `assistant
    models`, the app at Settings' Model list: where each user chooses another model."""

    def __init__(self, message: str, app_message: str = "") -> None:
        super().__init__(message)
        self.app_message = app_message


@dataclass(frozen=True)
class Family:
    """What the app must know of a family before loading anything of it."""

    name: str  # for people: "BLIP-2"
    architectures: tuple[str, ...]  # config.json's `architectures[0]` values that are this family's
    engine: str  # "module:Class" of its Engine, imported only when one is loaded
    int8_roots: tuple[str, ...]  # the parts whose linear layers run in int8 on a processor
    # the languages it answers in when asked ("es"); "*": many. Others are translated (engine.translate).
    languages: tuple[str, ...] = ("en",)

    def engine_class(self) -> EngineLoader:
        module, _, name = self.engine.partition(":")
        engine: EngineLoader = getattr(importlib.import_module(module), name)
        return engine


def _families() -> tuple[Family, ...]:
    from assistant.engine.families import blip2, gemma4, qwen3_5, smolvlm

    return (blip2.FAMILY, qwen3_5.FAMILY, smolvlm.FAMILY, gemma4.FAMILY)


def families() -> tuple[Family, ...]:
    return _families()


def family_names() -> str:
    """ "BLIP-2, Qwen3.5 and SmolVLM2": the families that work, for a sentence."""
    names = [family.name for family in families()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def family_of_architecture(architecture: str) -> Family:
    for family in families():
        if architecture in family.architectures:
            return family
    names = family_names()
    raise UnknownFamily(
        _(
            "The model is a {architecture}, which this app cannot run; choose a model of a family that works ({family_names}): see assistant models."
        ).format(architecture=architecture, family_names=names),
        _(
            "The model is a {architecture}, which this app cannot run; choose a model of a family that works ({family_names}) in Settings, under Descriptions, Model."
        ).format(architecture=architecture, family_names=names),
    )


def family_of(folder: Path) -> Family:
    """The family of the checkpoint in `folder`, read from its config.json; UnknownFamily otherwise."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except RecursionError:  # nested deeper than the JSON parser follows: no real config is
        from assistant.engine.models import damaged_model

        raise damaged_model(folder, "config.json") from None
    except (OSError, ValueError) as error:
        from assistant.engine.models import unreadable_model

        raise unreadable_model(folder, error) from None
    architectures = config.get("architectures") if isinstance(config, dict) else None
    if not isinstance(architectures, list) or not architectures or not isinstance(architectures[0], str):
        names = family_names()
        raise UnknownFamily(
            _(
                "The model in {folder} does not say what kind of model it is (its config.json has no architectures); choose a model of a family that works ({family_names}): see assistant models."
            ).format(folder=folder, family_names=names),
            _(
                "The model in {folder} does not say what kind of model it is (its config.json has no architectures); choose a model of a family that works ({family_names}) in Settings, under Descriptions, Model."
            ).format(folder=folder, family_names=names),
        )
    return family_of_architecture(architectures[0])
