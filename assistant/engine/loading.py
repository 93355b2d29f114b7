"""Loading a checkpoint's weights for any family: the options `from_pretrained` gets for a runtime, int8
on the processor through the prepared cache, and the start that falls back after the graphics card runs
out of memory. Each family says only which model class and processor it loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import torch
from safetensors import SafetensorError
from transformers import PreTrainedModel
from transformers.utils import logging as hf_logging

from assistant.engine.models import (
    LOADING,
    checkpoint_dtype,
    count_parameters,
    damaged_model,
    unreadable_model,
)
from assistant.engine.quantized import load_int8
from assistant.engine.runtime import MachineInfo, Runtime, choose_runtime, fallback_after_oom, query_machine
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.engine.int8 import Packing

_FLOAT_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
Loaded = TypeVar("Loaded")


def from_pretrained_options(runtime: Runtime, checkpoint_dtype: torch.dtype | None = None) -> dict[str, Any]:
    """How `from_pretrained` loads the checkpoint for `runtime`.

    On a graphics card every precision loads straight onto it (`device_map`), without a copy of the
    weights in main memory first. On the processor, int8 starts from the checkpoint's own 16-bit type
    (no conversion; 16-bit at most, so the peak stays near the 16-bit size) and is quantized after.
    """
    options: dict[str, Any] = {"use_safetensors": True}
    if runtime.device == "cuda":
        options["device_map"] = {"": 0}
    if runtime.device == "cuda" and runtime.precision in ("int8", "int4"):
        from transformers import BitsAndBytesConfig

        options["dtype"] = torch.float16
        options["quantization_config"] = (
            BitsAndBytesConfig(load_in_8bit=True)
            if runtime.precision == "int8"
            else BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float16
            )
        )
    elif runtime.precision == "int8":
        options["dtype"] = (
            checkpoint_dtype if checkpoint_dtype in (torch.float16, torch.bfloat16) else torch.bfloat16
        )
    else:
        options["dtype"] = _FLOAT_DTYPES[runtime.precision]
    return options


def load_weights(
    folder: Path,
    model_class: type[PreTrainedModel],
    runtime: Runtime,
    on_progress: Callable[[str], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> PreTrainedModel:
    """The checkpoint's model (safetensors only) in the device and precision of `runtime`, in eval mode.

    int8 on the processor comes from the prepared model in the cache folder, made on first use. Never
    beside another load (a translation model's warm-up): see models.LOADING."""
    with LOADING:
        return _load_weights(folder, model_class, runtime, on_progress, on_notice)


def _load_weights(
    folder: Path,
    model_class: type[PreTrainedModel],
    runtime: Runtime,
    on_progress: Callable[[str], None] | None,
    on_notice: Callable[[str], None] | None,
) -> PreTrainedModel:
    if runtime.device == "cpu" and runtime.precision == "int8":
        options = from_pretrained_options(runtime, checkpoint_dtype(folder))
        model, problem = load_int8(
            folder, model_class, lambda: model_class.from_pretrained(folder, **options), on_progress
        )
        if problem and on_notice is not None:
            on_notice(problem)
        return model.eval()
    model = model_class.from_pretrained(folder, **from_pretrained_options(runtime))
    return model.eval()


def start(
    folder: Path,
    device: str,
    precision: str,
    load: Callable[[Runtime, Callable[[str], None]], Loaded],
    on_progress: Callable[[str], None] | None = None,
) -> tuple[Loaded, Runtime, MachineInfo, list[str]]:
    """Load with `load(runtime, on_notice)` in the runtime chosen for this machine, falling back to a
    smaller one each time the graphics card runs out of memory; returns what was loaded, the runtime, the
    machine and the notices to say. A damaged or unreadable checkpoint gets its one sentence."""
    hf_logging.set_verbosity_error()
    if on_progress:
        # Translators: shown and said while a model loads, before it answers.
        on_progress(_("Loading the model into memory…"))
    machine = query_machine()
    runtime = choose_runtime(device, precision, machine, count_parameters(folder))
    notices: list[str] = []
    while True:
        try:
            return load(runtime, notices.append), runtime, machine, notices
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            runtime = fallback_after_oom(runtime, machine)
            notices.append(
                _("The graphics card ran out of memory; using {precision} on {device}.").format(
                    precision=runtime.precision, device=runtime.device
                )
            )
        except SafetensorError:
            raise damaged_model(folder, "a weights file") from None
        except (OSError, ValueError) as error:
            raise unreadable_model(folder, error) from error


def packing_for(model: torch.nn.Module, runtime: Runtime) -> Packing | None:
    """int8 on the processor: the packing of the layers where this processor multiplies faster so
    (`int8.Packing`), for the engine's idle time; None elsewhere. Made once a family has laid its
    layers out (fused ones included)."""
    if runtime.device == "cpu" and runtime.precision == "int8":
        from assistant.engine.int8 import Packing

        return Packing(model)
    return None
