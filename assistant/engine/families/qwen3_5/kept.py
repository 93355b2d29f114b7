"""Tensors made from a module's weights once and kept, for a one-token step that would otherwise make
them again at every call (`1 + weight` for a norm, `-exp(A_log)` for a delta-net layer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

T = TypeVar("T")


def version_of(tensor: torch.Tensor) -> tuple[int, int]:
    """The tensor's place and its in-place changes (none counted for an inference tensor, which
    cannot be changed outside inference mode)."""
    return tensor.data_ptr(), -1 if tensor.is_inference() else tensor._version


def kept(
    owner: torch.nn.Module, name: str, sources: tuple[torch.Tensor, ...], make: Callable[[], torch.Tensor]
) -> torch.Tensor:
    """`make()`, kept on `owner` under `name` and made again only when one of `sources` (what it is
    made from) is replaced or changed in place. Made outside inference mode, so it serves both."""
    key = tuple(version_of(source) for source in sources)
    held = owner.__dict__.get(name)
    if held is None or held[0] != key:
        with torch.inference_mode(False), torch.no_grad():
            held = owner.__dict__[name] = (key, make().detach())
    return held[1]


def kept_plan(
    owner: torch.nn.Module, name: str, sources: tuple[torch.Tensor, ...], make: Callable[[], T]
) -> T:
    """`make()` (a gathered step's plan, or None where the step does not apply), kept on `owner` under
    `name` as `kept` keeps a tensor: made again when one of `sources` is replaced or changed in place."""
    key = tuple(version_of(source) for source in sources)
    held = owner.__dict__.get(name)
    if held is None or held[0] != key:
        with torch.inference_mode(False), torch.no_grad():  # as `kept`: a plan serves both modes
            held = owner.__dict__[name] = (key, make())
    return held[1]
