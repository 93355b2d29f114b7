"""A real headless sway 1.7 for the Wayland tests (pixman renderer, no XWayland, as an unprivileged user),
with foot windows of a few lines of text on its outputs. Each sway has its own folder, runtime folder and
sockets, so that several run beside each other (pytest-xdist)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures.desktops import stop_process

from assistant.bench.wayland import NOBODY, as_user, headless_sway_env
from assistant.capture import focused_window, sway

HANG_GUARD = 30.0


@dataclass(frozen=True)
class TextWindow:
    """A foot window titled `title` showing `lines`, on sway's `output`."""

    title: str
    lines: list[str]
    output: str = "HEADLESS-1"


def window_titles(client: dict[str, str]) -> set[str]:
    """The titles of the windows sway shows (none where it does not answer yet)."""
    try:
        tree = sway.ask(sway.GET_TREE, client["SWAYSOCK"])
    except sway.SwayError:
        return set()
    titles, nodes = set(), [tree]
    while nodes:
        node = nodes.pop()
        if node.get("type") in ("con", "floating_con") and node.get("name"):
            titles.add(str(node["name"]))
        nodes += node.get("nodes", []) + node.get("floating_nodes", [])
    return titles


def swaymsg(client: dict[str, str], *command: str) -> None:
    """A sway command (`[title="…"] focus`, …) through its IPC, as the user's key bindings send them."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **client}
    subprocess.run(["swaymsg", *command], env=environ, check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def running_sway(outputs: list[str], windows: list[TextWindow], focus: str) -> Iterator[dict[str, str]]:
    """Headless sway with one output a line of `outputs` (sway's output settings for HEADLESS-1, -2…),
    each of `windows` on its output, and the window titled `focus` focused; the environment a client
    of it needs."""
    if not all(shutil.which(name) for name in ("sway", "swaymsg", "foot", "grim", "setpriv")):
        pytest.skip("needs sway, foot and grim (apt-get install sway foot grim)")
    # Not under pytest's temporary folder: that one is root's alone, and sway runs as another user.
    folder = Path(tempfile.mkdtemp(prefix="assistant-sway-"))
    runtime = folder / "run"
    runtime.mkdir(mode=0o700)
    config = ["xwayland disable", "default_border normal"]
    for number, settings in enumerate(outputs, start=1):
        config += [f"output HEADLESS-{number} {settings}", f"workspace {number} output HEADLESS-{number}"]
    owned = [folder, runtime]
    for number, window in enumerate(windows):
        text = folder / f"window{number}.txt"
        text.write_text("\n".join(window.lines) + "\n")
        owned.append(text)
        workspace = int(window.output.rsplit("-", 1)[1])
        config += [
            f'assign [title="^{window.title}$"] workspace {workspace}',
            f"exec foot --title '{window.title}' --font monospace:size=14 sh -c 'cat {text}; exec sleep 600'",
        ]
    (folder / "config").write_text("\n".join(config) + "\n")
    owned.append(folder / "config")
    if os.geteuid() == 0:
        for path in owned:
            os.chown(path, NOBODY, NOBODY)
    env = headless_sway_env(folder, runtime, len(outputs))
    log = (folder / "sway.log").open("wb")
    compositor = subprocess.Popen(
        as_user(["sway", "-c", str(folder / "config")]), env=env, stdout=log, stderr=log
    )
    try:
        yield _wait_for_windows(compositor, folder, runtime, windows, focus)
    finally:
        stop_process(compositor)  # type: ignore[arg-type]
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_windows(
    compositor: subprocess.Popen[bytes], folder: Path, runtime: Path, windows: list[TextWindow], focus: str
) -> dict[str, str]:
    """The client's environment once every window is mapped and `focus` has the focus."""
    deadline = time.monotonic() + HANG_GUARD
    client = {
        "WAYLAND_DISPLAY": "wayland-1",  # in sway's own runtime folder: no other test's
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_SESSION_TYPE": "wayland",
        "XDG_CURRENT_DESKTOP": "sway",
    }
    wanted = {window.title for window in windows}
    while True:
        assert compositor.poll() is None, (folder / "sway.log").read_text()[-2000:]
        assert time.monotonic() < deadline, (
            f"the windows were not all mapped: {(folder / 'sway.log').read_text()[-2000:]}"
        )
        sockets = list(runtime.glob("sway-ipc.*.sock"))
        if sockets and (runtime / "wayland-1").exists():
            client["SWAYSOCK"] = str(sockets[0])
            if wanted <= window_titles(client):
                swaymsg(client, f'[title="^{focus}$"] focus')
                with pytest.MonkeyPatch.context() as patch:
                    for name, value in client.items():
                        patch.setenv(name, value)
                    patch.delenv("DISPLAY", raising=False)
                    if focused_window().title == focus:
                        break
        time.sleep(0.1)
    time.sleep(0.5)  # foot has mapped its windows; give them a moment to draw the text
    return client
