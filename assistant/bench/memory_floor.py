"""What the memory of the moment allows a token: the int8 weights one decoding step reads, and how fast
this machine reads them while the bench runs.

On a processor a token is bounded by reading every weight of the language model and its head once:
Qwen3.5-0.8B reads 0.75 GB of int8 a token, and this development machine's memory gave 7 to 21 GB/s
within one day (a neighbour's work on the same host halves it). So tokens per second alone swings with
the moment; beside it the bench reports the moment's reading speed, the rate a token would have if it were
only that reading (`floor_tokens_per_s`), and the share of it reached (`of_floor`), which is the part
code can change.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from assistant.engine.int8_packed import PackedInt8


@contextmanager
def recording_weights() -> Iterator[list[torch.Tensor]]:
    """The int8 weights multiplied at one row (a decoding step) while the block runs: every such product
    goes through `torch._int_mm` or a packed weight's `PackedInt8.sums`, whether an `Int8Linear` or a
    family's gathered step makes it."""
    weights: list[torch.Tensor] = []
    own = torch._int_mm
    own_sums = PackedInt8.sums

    def recorded(
        rows: torch.Tensor, weight: torch.Tensor, *, out: torch.Tensor | None = None
    ) -> torch.Tensor:
        if rows.shape[0] == 1:
            weights.append(weight)
        return own(rows, weight) if out is None else own(rows, weight, out=out)

    def recorded_sums(self: PackedInt8, shifted: torch.Tensor) -> torch.Tensor:
        if shifted.shape[0] == 1:
            weights.append(self.source)
        return own_sums(self, shifted)

    torch._int_mm = recorded  # type: ignore[assignment]  # its parameters are named input and mat2
    PackedInt8.sums = recorded_sums  # type: ignore[method-assign]
    try:
        yield weights
    finally:
        torch._int_mm = own
        PackedInt8.sums = own_sums  # type: ignore[method-assign]


def distinct_bytes(weights: list[torch.Tensor]) -> list[torch.Tensor]:
    """The memory `weights` cover, each byte once, as flat int8 views: a fused layer is a view over the
    rows of its parts, so two records may share bytes."""
    spans: dict[int, list[tuple[int, int, torch.Tensor]]] = {}
    for weight in weights:
        storage = weight.untyped_storage()
        start = int(weight.storage_offset()) * weight.element_size()
        spans.setdefault(storage.data_ptr(), []).append((start, start + int(weight.nbytes), weight))
    views: list[torch.Tensor] = []
    for found in spans.values():
        found.sort(key=lambda span: span[0])
        merged: list[list[int]] = []
        for start, end, _ in found:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        base = torch.empty(0, dtype=torch.int8).set_(found[0][2].untyped_storage())
        views += [base[start:end] for start, end in merged]
    return views


def read_seconds(views: list[torch.Tensor]) -> float:
    """Seconds to read every byte of `views` once, as a token's products read them (largest value of
    each, on the threads torch uses)."""
    started = time.perf_counter()
    for view in views:
        view.amax()
    return time.perf_counter() - started


def floor_figures(
    views: list[torch.Tensor], read_times: list[float], tokens_per_s: float
) -> dict[str, float]:
    """The figures above from the reading times measured beside the tokens."""
    gigabytes = sum(view.numel() for view in views) / 1e9
    seconds = statistics.median(read_times)
    floor = 1.0 / seconds
    return {
        "weights_read_gb": gigabytes,
        "memory_gb_s": gigabytes / seconds,
        "floor_tokens_per_s": floor,
        "of_floor": tokens_per_s / floor,
    }
