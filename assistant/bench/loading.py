"""What a benchmark run measures: a real model through load_engine, or a synthetic full-size one built
in memory or written once per run as a checkpoint."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.errors import UserError

if TYPE_CHECKING:
    from assistant.engine.base import Engine
    from assistant.engine.families.blip2.engine import Blip2Engine


def engine_for(args: argparse.Namespace, precision: str) -> Blip2Engine:
    """The engine to measure: a real model through load_engine, or a synthetic full-size one."""
    import torch

    from assistant.engine.families.blip2.engine import Blip2Engine
    from assistant.engine.quantized import quantize_int8_
    from assistant.engine.runtime import Runtime, is_weight_precision

    if args.synthetic and on_gpu(args):
        from assistant.engine import load_engine

        return blip2(
            load_engine(synthetic_checkpoint(args), device="cuda", precision=precision, progress=False)
        )
    if args.synthetic:
        from transformers.utils import logging as hf_logging

        from assistant.bench.synthetic import build_full_size

        hf_logging.set_verbosity_error()
        precision = "int8" if precision == "auto" else precision
        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "int8": torch.bfloat16}
        model, processor = build_full_size(args.synthetic, dtype=dtype[precision])
        if precision == "int8":
            quantize_int8_(model)
        if not is_weight_precision(precision) or precision == "int4":
            raise UserError("A synthetic model on the processor runs in fp32, bf16, fp16 or int8.")
        runtime = Runtime("cpu", precision, "synthetic random weights")
        return Blip2Engine(model, processor, runtime, f"synthetic {args.synthetic}")
    from assistant.engine import load_engine

    return blip2(load_engine(args.model, device=args.device, precision=precision))


def blip2(engine: Engine) -> Blip2Engine:
    """The engine benchmark times BLIP-2's own stages, so it needs a BLIP-2 engine."""
    from assistant.engine.families.blip2.engine import Blip2Engine

    if not isinstance(engine, Blip2Engine):
        raise UserError(f"The engine benchmark measures BLIP-2 models; {engine.summary} is not one.")
    return engine


def on_gpu(args: argparse.Namespace) -> bool:
    import torch

    return bool(args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()))


def synthetic_checkpoint(args: argparse.Namespace) -> str:
    """The random full-size model written once per run as a checkpoint, for `from_pretrained`.

    Written by a child process, so the memory of building it is given back when it ends."""
    if not getattr(args, "synthetic_folder", None):
        args.synthetic_folder = tempfile.mkdtemp(prefix="assistant-synthetic-")
        print(f"Writing a random {args.synthetic} checkpoint to {args.synthetic_folder}", flush=True)
        code = "import sys, torch; from assistant.bench.synthetic import save_full_size; "
        code += "save_full_size(sys.argv[1], sys.argv[2], torch.float16)"
        subprocess.run([sys.executable, "-c", code, args.synthetic, args.synthetic_folder], check=True)
    return str(args.synthetic_folder)


def off_this_thread(function: Callable[..., object], *args: object) -> None:
    """Run torch work on a passing thread: on this one it would leave an OpenMP pool for good, and a
    second pool slows the thread the model runs on (see assistant.bench.firstword.measure_first_word)."""
    worker = threading.Thread(target=function, args=args)
    worker.start()
    worker.join()
