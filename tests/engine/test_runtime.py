"""Device and precision policy, with the machine faked: what runs where, and what is refused."""

from __future__ import annotations

import pytest

from assistant.engine.base import EngineError
from assistant.engine.runtime import (
    GIB,
    GpuInfo,
    MachineInfo,
    Runtime,
    choose_runtime,
    fallback_after_oom,
    query_machine,
)

PARAMETERS = 3_745_000_000  # blip2-opt-2.7b: 16-bit needs about 8.5 GB with headroom, int8 5.3, int4 3.6


def machine(
    free_gib: float | None = None, bf16: bool = True, bnb: bool = False, cpu_int8: bool = True
) -> MachineInfo:
    gpu = None
    if free_gib is not None:
        gpu = GpuInfo(
            "Test GPU", total_bytes=int(24 * GIB), free_bytes=int(free_gib * GIB), bf16_supported=bf16
        )
    return MachineInfo(gpu=gpu, bitsandbytes=bnb, cpu_int8=cpu_int8)


def choose(device: str = "auto", precision: str = "auto", **machine_args) -> Runtime:
    return choose_runtime(device, precision, machine(**machine_args), PARAMETERS)


def refusal(device: str = "auto", precision: str = "auto", **machine_args) -> str:
    with pytest.raises(EngineError) as caught:
        choose(device, precision, **machine_args)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ---- no graphics card --------------------------------------------------------------------------------


def test_no_gpu_runs_int8_on_the_cpu() -> None:
    runtime = choose()
    assert (runtime.device, runtime.precision) == ("cpu", "int8")
    assert "no CUDA graphics card" in runtime.reason


def test_no_gpu_and_no_int8_kernels_runs_bf16() -> None:
    runtime = choose(cpu_int8=False)
    assert (runtime.device, runtime.precision) == ("cpu", "bf16")
    assert "no int8 kernels" in runtime.reason


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_cpu_precision_on_request(precision: str) -> None:
    assert choose(precision=precision) == Runtime("cpu", precision, "requested")


def test_int8_on_a_cpu_without_int8_kernels_is_refused() -> None:
    assert "no int8 kernels" in refusal(device="cpu", precision="int8", cpu_int8=False)


@pytest.mark.parametrize("device", ["auto", "cpu"])
def test_int4_on_the_cpu_is_refused(device: str) -> None:
    message = refusal(device=device, precision="int4")
    assert message == "4-bit runs only on a graphics card. On the processor use int8, bf16 or fp32."


def test_cuda_requested_without_a_gpu_is_refused() -> None:
    message = refusal(device="cuda")
    assert (
        message == "No CUDA graphics card was found. Use --device cpu, or install the CUDA build of PyTorch."
    )


def test_unknown_device_and_precision_are_refused() -> None:
    assert refusal(device="tpu").startswith("Unknown device 'tpu'")
    assert refusal(precision="int2").startswith("Unknown precision 'int2'")


# ---- a graphics card ---------------------------------------------------------------------------------


def test_big_gpu_runs_bf16() -> None:
    runtime = choose(free_gib=20)
    assert (runtime.device, runtime.precision) == ("cuda", "bf16")
    assert "Test GPU has 20.0 GB free" in runtime.reason


def test_big_gpu_without_bf16_runs_fp16() -> None:
    runtime = choose(free_gib=20, bf16=False)
    assert (runtime.device, runtime.precision) == ("cuda", "fp16")


def test_cpu_requested_beside_a_gpu() -> None:
    runtime = choose(device="cpu", free_gib=20)
    assert (runtime.device, runtime.precision) == ("cpu", "int8")


@pytest.mark.parametrize("free_gib", [6.0, 4.0])
def test_small_gpu_with_bitsandbytes_runs_4_bit(free_gib: float) -> None:
    """4-bit, not 8-bit, even where 8-bit would fit: bitsandbytes' int8 is the slower of the two."""
    runtime = choose(free_gib=free_gib, bnb=True)
    assert (runtime.device, runtime.precision) == ("cuda", "int4")
    assert "too little for 16-bit" in runtime.reason


def test_8_bit_on_the_gpu_when_asked_for() -> None:
    runtime = choose(device="cuda", precision="int8", free_gib=6.0, bnb=True)
    assert (runtime.device, runtime.precision) == ("cuda", "int8")


def test_small_gpu_without_bitsandbytes_runs_on_the_cpu() -> None:
    runtime = choose(free_gib=6.0, bnb=False)
    assert (runtime.device, runtime.precision) == ("cpu", "int8")
    assert "bitsandbytes" in runtime.reason


def test_tiny_gpu_runs_on_the_cpu_even_with_bitsandbytes() -> None:
    runtime = choose(free_gib=2.0, bnb=True)
    assert (runtime.device, runtime.precision) == ("cpu", "int8")


def test_tiny_gpu_requested_is_refused() -> None:
    message = refusal(device="cuda", free_gib=2.0, bnb=True)
    assert "too little memory" in message and "--device cpu" in message


def test_a_small_model_fits_a_small_gpu() -> None:
    runtime = choose_runtime("auto", "auto", machine(free_gib=2.0), 100_000_000)
    assert (runtime.device, runtime.precision) == ("cuda", "bf16")


@pytest.mark.parametrize("precision", ["int8", "int4"])
@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_quantized_gpu_without_bitsandbytes_is_refused(device: str, precision: str) -> None:
    message = refusal(device=device, precision=precision, free_gib=20, bnb=False)
    assert message.startswith(f"{precision} on the graphics card needs bitsandbytes.")
    assert "pip install" in message


@pytest.mark.parametrize("precision", ["fp32", "fp16", "bf16", "int8", "int4"])
def test_gpu_precision_on_request(precision: str) -> None:
    assert choose(device="cuda", precision=precision, free_gib=20, bnb=True) == Runtime(
        "cuda", precision, "requested"
    )


def test_describe_says_where_and_why() -> None:
    assert Runtime("cpu", "int8", "requested").describe() == "int8 on the processor (CPU): requested"
    assert Runtime("cuda", "bf16", "fits").describe() == "bf16 on the graphics card: fits"


# ---- running out of memory ---------------------------------------------------------------------------


def test_oom_fallback_order_with_bitsandbytes() -> None:
    info = machine(free_gib=20, bnb=True)
    steps = [Runtime("cuda", "bf16", "")]
    while steps[-1].device == "cuda":
        steps.append(fallback_after_oom(steps[-1], info))
    assert [(r.device, r.precision) for r in steps] == [
        ("cuda", "bf16"),
        ("cuda", "int4"),
        ("cpu", "int8"),
    ]
    assert all("ran out of memory" in r.reason for r in steps[1:])


@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_oom_fallback_to_4_bit(precision: str) -> None:
    assert fallback_after_oom(Runtime("cuda", precision, ""), machine(20, bnb=True)).precision == "int4"


def test_oom_fallback_without_bitsandbytes_goes_to_the_cpu() -> None:
    for precision in ("bf16", "fp16", "fp32"):
        runtime = fallback_after_oom(Runtime("cuda", precision, ""), machine(free_gib=20))
        assert (runtime.device, runtime.precision) == ("cpu", "int8")


def test_oom_fallback_to_a_cpu_without_int8_kernels() -> None:
    runtime = fallback_after_oom(Runtime("cuda", "bf16", ""), machine(free_gib=20, cpu_int8=False))
    assert (runtime.device, runtime.precision) == ("cpu", "bf16")


# ---- this machine ------------------------------------------------------------------------------------


def test_query_machine_reports_this_computer() -> None:
    import torch

    info = query_machine()
    assert (info.gpu is not None) == torch.cuda.is_available()
    product = torch._int_mm(
        torch.full((1, 16), 3, dtype=torch.int8), torch.full((16, 8), -2, dtype=torch.int8)
    )
    assert info.cpu_int8 == bool(product.eq(-96).all())
    if info.gpu is None:
        assert not info.bitsandbytes
        assert choose_runtime("auto", "auto", info, PARAMETERS).device == "cpu"
