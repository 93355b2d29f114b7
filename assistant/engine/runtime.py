"""Where the model runs and in what precision: a pure policy over what the machine offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeGuard

from assistant.engine.base import EngineError
from assistant.i18n import _, decimal

Device = Literal["auto", "cpu", "cuda"]
WeightPrecision = Literal["fp32", "bf16", "fp16", "int8", "int4"]
Precision = Literal["auto"] | WeightPrecision
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16", "fp16", "int8", "int4")
GIB = 1024**3
# Activations, the KV cache and the CUDA context need room beside the weights.
_GPU_HEADROOM = 1.5 * GIB
_BYTES_PER_PARAMETER = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.1, "int4": 0.6}


@dataclass(frozen=True)
class GpuInfo:
    name: str
    total_bytes: int
    free_bytes: int
    bf16_supported: bool


@dataclass(frozen=True)
class MachineInfo:
    """What the policy needs to know about this computer."""

    gpu: GpuInfo | None
    bitsandbytes: bool  # 8-bit and 4-bit on the GPU
    cpu_int8: bool  # PyTorch's int8 matrix product (torch._int_mm) runs on this processor


@dataclass(frozen=True)
class Runtime:
    device: Literal["cpu", "cuda"]
    precision: WeightPrecision
    reason: str

    def describe(self) -> str:
        where = _("the graphics card") if self.device == "cuda" else _("the processor (CPU)")
        return _("{precision} on {where}: {reason}").format(
            precision=self.precision, where=where, reason=self.reason
        )


def weights_bytes(parameters: int, precision: str) -> int:
    return int(parameters * _BYTES_PER_PARAMETER[precision])


def choose_runtime(device: str, precision: str, machine: MachineInfo, parameters: int) -> Runtime:
    """Pick device and precision; explicit requests are honoured or refused with a sentence."""
    if device not in DEVICES:
        raise EngineError(
            _("Unknown device {device!r}: use one of {join}.").format(device=device, join=", ".join(DEVICES))
        )
    if not _is_precision(precision):
        raise EngineError(
            _("Unknown precision {precision!r}: use one of {join}.").format(
                precision=precision, join=", ".join(PRECISIONS)
            )
        )
    gpu = machine.gpu
    if device == "cuda" and gpu is None:
        raise EngineError(
            _("No CUDA graphics card was found. Use --device cpu, or install the CUDA build of PyTorch.")
        )
    if device == "cpu" or gpu is None:
        return _cpu_runtime(precision, machine, _("no CUDA graphics card") if gpu is None else _("requested"))
    return _gpu_runtime(gpu, precision, machine, parameters, forced=device == "cuda")


def _is_precision(value: str) -> TypeGuard[Precision]:
    return value in PRECISIONS


def is_weight_precision(value: str) -> TypeGuard[WeightPrecision]:
    """Whether `value` names a precision weights are kept in (any but "auto")."""
    return value in _BYTES_PER_PARAMETER


def _cpu_runtime(precision: Precision, machine: MachineInfo, why: str) -> Runtime:
    if precision == "int4":
        raise EngineError(_("4-bit runs only on a graphics card. On the processor use int8, bf16 or fp32."))
    if precision == "auto":
        if machine.cpu_int8:
            return Runtime("cpu", "int8", _("{why}; int8 is the fastest on a processor").format(why=why))
        return Runtime(
            "cpu", "bf16", _("{why}; PyTorch has no int8 kernels for this processor").format(why=why)
        )
    if precision == "int8" and not machine.cpu_int8:
        raise EngineError(
            _("This build of PyTorch has no int8 kernels for this processor. Use --precision bf16.")
        )
    return Runtime("cpu", precision, _("requested"))


def _gpu_runtime(
    gpu: GpuInfo, precision: Precision, machine: MachineInfo, parameters: int, forced: bool
) -> Runtime:
    free = gpu.free_bytes
    half: WeightPrecision = "bf16" if gpu.bf16_supported else "fp16"

    def fits(p: str) -> bool:
        return weights_bytes(parameters, p) + _GPU_HEADROOM <= free

    if precision in ("int8", "int4") and not machine.bitsandbytes:
        raise EngineError(
            _(
                "{precision} on the graphics card needs bitsandbytes. Install it with: pip install 'assistant[gpu]'."
            ).format(precision=precision)
        )
    if precision != "auto":
        return Runtime("cuda", precision, _("requested"))
    free_text = _("{name} has {free} GB free").format(name=gpu.name, free=decimal(free / GIB))
    if fits(half):
        return Runtime("cuda", half, _("{free_text}, enough for 16-bit weights").format(free_text=free_text))
    # 4-bit before 8-bit: bitsandbytes' int8 generates 3.6-5.3x slower than fp16 on an H100, its
    # 4-bit only 1.3-1.6x (BENCHMARKS.md); int8 stays available with --precision int8.
    if machine.bitsandbytes and fits("int4"):
        need = (weights_bytes(parameters, half) + _GPU_HEADROOM) / GIB
        return Runtime(
            "cuda",
            "int4",
            _("{free_text}, too little for 16-bit ({need} GB)").format(
                free_text=free_text, need=decimal(need)
            ),
        )
    if forced:
        raise EngineError(
            _(
                "The graphics card ({free_text}) has too little memory for this model. Close other programs using it, or use --device cpu."
            ).format(free_text=free_text)
        )
    hint = (
        ""
        if machine.bitsandbytes
        else _("; installing bitsandbytes (pip install 'assistant[gpu]') may let it fit")
    )
    cpu = _cpu_runtime(
        "auto",
        machine,
        _("{free_text}, too little for the model{hint}").format(free_text=free_text, hint=hint),
    )
    return cpu


def fallback_after_oom(runtime: Runtime, machine: MachineInfo) -> Runtime:
    """The next runtime to try when the graphics card ran out of memory with `runtime`."""
    if runtime.device == "cuda" and runtime.precision != "int4" and machine.bitsandbytes:
        return Runtime("cuda", "int4", _("the graphics card ran out of memory"))  # the smallest, and quick
    return _cpu_runtime("auto", machine, _("the graphics card ran out of memory"))


def fallback_notice(runtime: Runtime) -> str:
    """The sentence said once the model runs in `runtime` after the graphics card ran out of memory."""
    if runtime.device == "cuda":
        return _("The graphics card ran out of memory, so the model now runs in {precision} on it.").format(
            precision=runtime.precision
        )
    return _(
        "The graphics card ran out of memory, so the model now runs in {precision} on the processor."
    ).format(precision=runtime.precision)


def query_machine() -> MachineInfo:
    """Ask torch what this computer offers (imports torch)."""
    import importlib.util

    import torch

    gpu = None
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        gpu = GpuInfo(
            name=torch.cuda.get_device_name(0),
            total_bytes=total,
            free_bytes=free,
            bf16_supported=torch.cuda.is_bf16_supported(),
        )
    return MachineInfo(
        gpu=gpu,
        bitsandbytes=gpu is not None and importlib.util.find_spec("bitsandbytes") is not None,
        cpu_int8=cpu_int8_works(),
    )


def cpu_int8_works() -> bool:
    """Whether this PyTorch multiplies int8 matrices on the processor (what the int8 layers use)."""
    import torch

    try:
        ones = torch.ones(8, 8, dtype=torch.int8)
        return bool(torch._int_mm(ones[:1], ones.t()).eq(8).all())
    except (RuntimeError, AttributeError):
        return False
