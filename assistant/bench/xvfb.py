"""A private X server (Xvfb) for measuring and testing the app, started with a deadline.

`assistant bench` and the tests start the app, hotkeys and screen capture on a display of their own.
Xvfb picks a free display number itself (`-displayfd`) and writes it once it accepts connections; a
server that never writes it is waited on only until the deadline, then ended.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from dataclasses import dataclass

START_DEADLINE_S = 20.0


class XvfbError(RuntimeError):
    """Xvfb is missing or did not start; the message is one sentence."""


@dataclass
class Xvfb:
    """A running Xvfb and the name of its display (":N")."""

    process: subprocess.Popen[bytes]
    display: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_xvfb(width: int = 1280, height: int = 800, deadline_s: float = START_DEADLINE_S) -> Xvfb:
    """Start Xvfb with one screen of `width`×`height` (24-bit, with the RECORD extension that global
    hotkeys listen through) and return once it accepts connections, or raise XvfbError at the deadline."""
    read_end, write_end = os.pipe()
    # -noreset: the server is not reset when its last client leaves, so a painted screen stays.
    command = ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24", "-noreset"]
    command += ["-nolisten", "tcp", "+extension", "RECORD"]
    try:
        process = subprocess.Popen(
            command,
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        os.close(read_end)
        raise XvfbError("Xvfb is not installed; install it (Debian: apt-get install xvfb).") from None
    finally:
        os.close(write_end)
    # Xvfb writes the number, then a newline, and stops if the pipe closes in between: read both.
    reply = b""
    deadline = time.monotonic() + deadline_s
    try:
        while not reply.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready = remaining > 0 and select.select([read_end], [], [], remaining)[0]
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                break
            reply += chunk
    finally:
        os.close(read_end)
    number = reply.strip()
    if not reply.endswith(b"\n") or not number.isdigit():
        process.kill()
        process.wait()
        raise XvfbError(f"Xvfb did not start within {deadline_s:g} seconds.")
    return Xvfb(process, f":{int(number)}")
