"""The region overlay as a real Wayland surface (Qt's wayland platform, not offscreen) on a headless sway 1.7,
operated by keyboard alone. The keys come through the compositor from wtype (sway's virtual keyboard
protocol), so they reach the overlay only where sway gave it the keyboard focus. The region is cut from the
frame grim captured before the overlay showed, and its text is what the app reads aloud."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fixtures.desktops import stop_process
from test_sway_e2e import ROOT, app_on_sway, share_of_words, spoken, wait_said
from test_sway_e2e import on_sway as on_sway  # fixtures, shared with the other sway tests
from test_sway_e2e import sway as sway

pytestmark = pytest.mark.slow
HANG_GUARD = 60.0


def keys(env: dict[str, str], *args: str) -> None:
    """Type through sway's virtual keyboard, as the user's keyboard would."""
    subprocess.run(["wtype", *args], env=env, check=True, timeout=10)


def focused(env: dict[str, str]) -> dict[str, Any]:
    """sway's focused window (its name, rectangle and fullscreen mode)."""
    tree = subprocess.run(["swaymsg", "-t", "get_tree"], env=env, capture_output=True, check=True, timeout=10)
    nodes = [json.loads(tree.stdout)]
    while nodes:
        node = nodes.pop()
        if node.get("focused"):
            return node
        nodes += node.get("nodes", []) + node.get("floating_nodes", [])
    raise AssertionError("sway has no focused window")


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + HANG_GUARD
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return found


def test_the_region_overlay_is_a_wayland_surface_chosen_by_keyboard_on_sway(
    on_sway, tiny_model_dir, tmp_path: Path
) -> None:
    if shutil.which("wtype") is None:
        pytest.skip("needs wtype (apt-get install wtype)")
    bus, env, speech, log, command = app_on_sway(on_sway, tiny_model_dir, tmp_path, "wayland")
    # A keyboard on the seat all along, as on a real desktop. Each wtype below is a keyboard of its own, and
    # sway adds the seat's keyboard only when the first one comes: a key sent then could beat Qt to it.
    keyboard = subprocess.Popen(["wtype", "-s", str(int(HANG_GUARD * 10_000))], env=env)
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def choose() -> None:
        """`assistant trigger describe-region`, then wait for the overlay to hold sway's keyboard focus."""
        count = len(spoken(speech))
        done = subprocess.run(
            [sys.executable, "-m", "assistant", "trigger", "describe-region"], env=env, cwd=ROOT, timeout=60
        )
        assert done.returncode == 0
        said = wait_said(speech, count + 1, app, log)[count]
        assert said.startswith("Choose a region. Arrow keys move it")
        middle = "400 by 300 pixels, 200 from the left, 150 from the top."  # of the 800 x 600 frame
        assert said.endswith(middle)
        window = wait_for(
            lambda: (node := focused(env))["name"].startswith("Choose a region") and node,
            "the overlay has no focus",
        )
        assert window["fullscreen_mode"] == 1 and window["shell"] == "xdg_shell"  # a native Wayland surface
        assert (window["rect"]["width"], window["rect"]["height"]) == (800, 600)

    try:
        assert wait_said(speech, 2, app, log)[-1] == "Ready."
        choose()
        keys(env, "-k", "Escape")
        wait_for(lambda: spoken(speech)[-1] == "Cancelled.", f"Escape did not cancel: {spoken(speech)}")
        assert not focused(env)["name"].startswith("Choose a region")

        choose()
        # To the top left corner, then half as tall: 400 x 150, foot's text, none of the app's own window.
        keys(env, "-M", "ctrl", *["-k", "Left"] * 4, *["-k", "Up"] * 3, "-M", "shift", *["-k", "Up"] * 3)
        keys(env, "-m", "shift", "-m", "ctrl")
        where = "400 by 150 pixels, 0 from the left, 0 from the top."
        wait_for(lambda: spoken(speech)[-1] == where, f"the region was not moved: {spoken(speech)}")
        keys(env, "-k", "Return")
        text = wait_for(
            lambda: [said for said in spoken(speech) if said.startswith("Text on it:")], "no text read"
        )[0]
        assert share_of_words(text) >= 0.9
        assert "Assistant" not in text  # the app's window, beside foot's, is outside the region
    finally:
        stop_process(app)  # type: ignore[arg-type]
        stop_process(bus)
        stop_process(keyboard)  # type: ignore[arg-type]
