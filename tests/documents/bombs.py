"""Bombs built small on disk (the builders are the benchmark's), and a child process with limited
memory and time to open them in."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from assistant.bench.hostile import add_zip_bomb as add_bomb
from assistant.bench.hostile import deflated_zeros, png_bomb

__all__ = ["add_bomb", "deflated_zeros", "png_bomb", "run_limited"]


def run_limited(script: str, memory_mb: int = 1500, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run Python code in a child with at most `memory_mb` of address space and `timeout` seconds, so
    that a regression fails the test instead of taking the machine down (or hanging it)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    return subprocess.run(
        [sys.executable, "-c", script],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
