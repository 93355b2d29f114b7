"""The int8 product in oneDNN's packed layout, for processors where it reads the weights faster.

`torch._int_mm` takes the int8 weights as they lie in the prepared file, so a later start only maps
them. On some processors that product is slow at one row: on an Intel Xeon with AMX it read the weights
at a third to a half of a plain read's speed, and Qwen3.5-0.8B made 11.2 tokens a second where the same
weights packed for oneDNN (`torch.ops.onednn.qlinear_prepack`) made 15.5 (docs/model-families.md, tenth
pass). On an AMD EPYC it was the other way round. So the first packing step times both on this
processor (`packing_pays`) and packs only where packing wins.

The numbers are the app's either way: the rows are quantized exactly as for `_int_mm` (per row,
symmetric), shifted by 128 into the unsigned bytes oneDNN takes with a zero point of 128, and multiplied
with unit scales, so the result is each integer sum as a float32, which `int8.scaled_product` then
scales as it scales `_int_mm`'s. The trial also checks that, and packs nowhere it does not hold.

The packed layout is oneDNN's own and cannot be kept in the prepared file, and packing runs at about
half a gigabyte a second here (5 s for BLIP-2): so it is done one layer at a time while the model is
idle (`int8.Packing`), not at the start. Once a mapped weight is packed, its pages of the prepared file
are given back to the system.
"""

from __future__ import annotations

import copy
import ctypes
import functools
import logging
import mmap
import sys
import time
from collections.abc import Callable, Sequence

import torch

log = logging.getLogger(__name__)

_SHIFT = 128  # a signed int8 row plus 128 is the unsigned row oneDNN takes, with this zero point
# The trial's weight: as wide as a feed-forward's gate and up (Qwen3.5-0.8B's are 1024 × 7168).
_TRIAL_SHAPE = (7168, 1024)
_TRIAL_CALLS = 21
# Packing is chosen only where a product takes at most this share of `_int_mm`'s time: 0.53-0.54 on one
# thread of an Intel Xeon with AMX; on an AMD EPYC the packed product was the slower for a layer.
_PAYS = 0.9
_MADV_DONTNEED = 4  # Linux's value


class PackedInt8:
    """One int8 weight (out × in, as an `Int8Linear` holds it) in oneDNN's packed layout."""

    def __init__(self, weight: torch.Tensor) -> None:
        self.out_features = int(weight.shape[0])
        self.source = weight  # the weight as it lies (its pages may be given back): what a product reads
        self.packed = torch.ops.onednn.qlinear_prepack(weight, None)
        self.unit_scales = torch.ones(self.out_features)
        self.zero_points = torch.zeros(self.out_features, dtype=torch.int64)

    def __deepcopy__(self, memo: dict[int, object]) -> PackedInt8:
        # oneDNN's packed tensor has no storage to copy: a copy packs the copied weight again.
        return PackedInt8(copy.deepcopy(self.source, memo))

    def sums(self, shifted: torch.Tensor) -> torch.Tensor:
        """Each row's integer sums against the weight, as float32, for rows quantized to int8 and
        shifted by 128 into uint8: what `torch._int_mm` gives as int32, converted."""
        return torch.ops.onednn.qlinear_pointwise(
            shifted,
            1.0,
            _SHIFT,
            self.packed,
            self.unit_scales,
            self.zero_points,
            None,
            1.0,
            0,
            torch.float32,
            "none",
            [],
            "",
        )


def shifted_rows(rows: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """`rows` quantized by their `step` as for `_int_mm` (the same rounding), shifted into uint8."""
    return torch.div(rows, step).round_().add_(_SHIFT).to(torch.uint8)


def _fastest_seconds(calls: Sequence[Callable[[], object]], rounds: int) -> list[float]:
    """Each call's fastest seconds, the calls taken in turn round by round: a moment when the machine is
    busy slows them alike, and the fastest of each is the one the least disturbed (with other processes
    on both cores, a call's median went from 0.3 to 7 ms and told the two apart no more)."""
    for call in calls:
        call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(rounds):
        for call, kept in zip(calls, times, strict=True):
            started = time.perf_counter()
            call()
            kept.append(time.perf_counter() - started)
    return [min(kept) for kept in times]


@functools.cache
def packing_pays() -> bool:
    """Whether the packed product is faster than `torch._int_mm` at one row on this processor and gives
    the same numbers (False where oneDNN is missing). Timed once a process, on random weights, on one
    thread (about 50 ms): on two, with other processes on both cores, a call's fastest of 21 went from
    0.3 to 4-7 ms and the trial said either; on one it gave the same figures within 2 % beside them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _trial()
    except _NoGain as reason:
        log.info("int8 products stay torch._int_mm here: %s", reason)
        return False
    finally:
        torch.set_num_threads(threads)
    return True


class _NoGain(Exception):
    """Why the packed product is not used on this processor."""


def _trial() -> None:
    """_NoGain unless the packed product pays here."""
    try:
        generator = torch.Generator().manual_seed(0)
        weight = torch.randint(-127, 128, _TRIAL_SHAPE, dtype=torch.int8, generator=generator)
        rows = torch.randint(-127, 128, (3, _TRIAL_SHAPE[1]), dtype=torch.int8, generator=generator)
        packed = PackedInt8(weight)
        shifted = (rows.to(torch.int16) + _SHIFT).to(torch.uint8)
        expected = torch._int_mm(rows, weight.t()).to(torch.float32)
        same = torch.equal(packed.sums(shifted), expected) and torch.equal(
            packed.sums(shifted[:1]), expected[:1]
        )
        one, column_major, shifted_one = rows[:1], weight.t(), shifted[:1]
        plain, fast = _fastest_seconds(
            [lambda: torch._int_mm(one, column_major), lambda: packed.sums(shifted_one)], _TRIAL_CALLS
        )
    except (RuntimeError, AttributeError, NotImplementedError) as error:
        raise _NoGain(f"no packed product ({error})") from None
    if not same:
        raise _NoGain("the packed product gives other numbers")
    log.info("int8 product at one row: torch._int_mm %.0f us, packed %.0f us", plain * 1e6, fast * 1e6)
    if fast > _PAYS * plain:
        raise _NoGain("the packed product is not faster")


def give_back_pages(tensor: torch.Tensor) -> bool:
    """Give the system back the pages of `tensor`, where it lies in a file mapped into memory: they are
    read again from the file if it is ever used. Anonymous memory is left alone (its pages would come
    back as zeros). Whether any page was given back; Linux only."""
    if not sys.platform.startswith("linux") or tensor.nbytes < mmap.PAGESIZE:
        return False
    start = tensor.data_ptr()
    end = start + tensor.nbytes
    if not _in_mapped_file(start, end):
        return False
    page = mmap.PAGESIZE
    first, last = -(-start // page) * page, end // page * page  # only pages wholly inside it
    if last <= first:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return bool(libc.madvise(first, last - first, _MADV_DONTNEED) == 0)


def _in_mapped_file(start: int, end: int) -> bool:
    """Whether the addresses lie within one mapping of a file (/proc/self/maps: a path after the inode)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                low, _dash, high = fields[0].partition("-")
                if int(low, 16) <= start and end <= int(high, 16):
                    return len(fields) == 6 and fields[4] != "0" and fields[5].startswith("/")
    except OSError:
        return False
    return False
