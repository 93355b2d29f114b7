#!/usr/bin/env python3
"""Set everything up in a private environment (.venv), then run the app or the tests.

    python3 dev.py run [ARGS…]   set up, then start the app (`assistant run ARGS…`)
    python3 dev.py test [ARGS…]  set up with the test tools, then lint, type-check and run the test suite
    python3 dev.py test --fast   the same checks, then only the unit tests (no `e2e`, no `slow`): minutes
    python3 dev.py setup         only set up

Works on Linux, Windows and macOS with Python 3.10 or newer. On Debian and Ubuntu it also installs
the system packages the app needs (speech, Qt's X11 libraries, audio) when it runs as root or can
use sudo without a password; otherwise it prints the command to run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
# torch first, pinned to a release with wheels for every platform we support; pip keeps an
# installed torch that satisfies pyproject's range.
TORCH = "torch==2.13.0"
# `test --fast` leaves out the tests marked e2e (the real app under Xvfb) and slow (see pyproject.toml).
FAST_TESTS = "not e2e and not slow"
# The suite mostly waits (servers, desktops, speech starting), so it runs on more workers than cores
# (docs/testing.md has the measurements); `loadgroup` keeps a group marked `xdist_group` on one worker.
# A later `-n` (`-n 0`: one process, no workers) or `--dist` among the arguments wins.
PARALLEL = ["-n", "4", "--dist", "loadgroup"]
DEBIAN_APP = [
    "espeak-ng",
    "libxcb-cursor0",
    "libportaudio2",
    "libegl1",
    "libgl1",
    "libxkbcommon-x11-0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-xkb1",
    "libdbus-1-3",
    "python3-speechd",  # speech-dispatcher's own client, for speaking through the screen reader
]
DEBIAN_TEST = [
    "speech-dispatcher",  # a private one per test, whose voice writes what it is given to a file
    "libglib2.0-bin",  # gdbus: the tests tell the accessibility bus that a screen reader runs
    "xvfb",
    "xauth",
    "xdotool",
    "openbox",  # a window manager on Xvfb, for the focused-window tests
    "zenity",  # real GTK dialogs with icons, for the OCR test that icons give no text
    "asterisk-core-sounds-es-wav",  # a real voice speaking Spanish, for the Spanish speech-to-text test
    "trayer",  # a system tray on Xvfb, for the tray icon's end-to-end test
    "dbus",
    "dbus-x11",
    "at-spi2-core",
    "python3-pyatspi",
    "sox",
    "shellcheck",
    "desktop-file-utils",
    "epubcheck",
    "chromium",  # with npm's axe-core, checks the HTML that alt-text writes
    # Wayland: the real xdg-desktop-portal, its desktop side mocked by dbusmock (Debian's runs the mock
    # server, with gi); dbus-python for the test extra's python-dbusmock is built against libdbus.
    "xdg-desktop-portal",
    "python3-dbusmock",
    "python3-gi",
    "libdbus-1-dev",
    "libglib2.0-dev",
    "pkg-config",
    # the end-to-end test on a real headless sway: a native Wayland window (foot), grim, and the
    # portal's wlroots backend, which needs PipeWire running
    "sway",
    "foot",
    "grim",
    "wtype",  # keys through sway's virtual keyboard, for the region overlay's test on sway
    "xdg-desktop-portal-wlr",
    "pipewire",
    "wireplumber",  # links a PipeWire stream to its reader (the ScreenCast test on KWin)
    "gstreamer1.0-pipewire",  # pipewiresrc: the ScreenCast backend's frame
    "gstreamer1.0-plugins-base",  # videoconvert
    "gstreamer1.0-plugins-good",  # pngenc
    "gstreamer1.0-tools",  # gst-launch-1.0
    # KDE Plasma's Wayland for real: KWin 5.27 headless (--virtual) and its portal, whose dialogs need
    # Qt's Wayland platform and the QML modules a Plasma desktop has (the package depends on none of them)
    "kwin-wayland",
    "xdg-desktop-portal-kde",
    "qtwayland5",
    "plasma-workspace",
    "qml-module-org-kde-kirigami2",
    "qml-module-qtquick-controls2",
    "qml-module-qtquick-layouts",
]


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(*command: str | Path, **kwargs) -> None:
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_debian_packages(packages: list[str]) -> None:
    if not shutil.which("dpkg-query") or not shutil.which("apt-get"):
        return
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${Status}\n", *packages], capture_output=True, text=True
    ).stdout
    installed = {line.split()[0] for line in status.splitlines() if line.endswith("install ok installed")}
    missing = [p for p in packages if p not in installed]
    if not missing:
        return
    prefix: list[str] = []
    if os.geteuid() != 0:
        if (
            shutil.which("sudo")
            and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
        ):
            prefix = ["sudo", "-n"]
        else:
            say("Missing system packages; install them with: sudo apt-get install " + " ".join(missing))
            return
    say("Installing system packages: " + " ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*prefix, "apt-get", "update", "-qq", env=env)
    run(*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def ensure_venv(extras: str) -> Path:
    if sys.version_info < (3, 10):  # noqa: UP036 (this script may be started by an older Python)
        sys.exit("Python 3.10 or newer is needed; this is " + sys.version.split()[0])
    python = venv_python()
    if not python.exists():
        say(f"Creating the environment in {VENV}")
        run(sys.executable, "-m", "venv", VENV)
        run(python, "-m", "pip", "install", "-q", "--upgrade", "pip")
    stamp = VENV / ".installed"
    # The install also compiles the translations (setup.py), so a changed .po installs again.
    catalogues = b"".join(
        path.read_bytes() for path in sorted((ROOT / "assistant" / "locale").glob("*/*/*.po"))
    )
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode() + catalogues).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return python
    if subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0:
        say(f"Installing PyTorch ({TORCH})")
        if subprocess.run([python, "-m", "pip", "install", "-q", TORCH]).returncode != 0:
            run(python, "-m", "pip", "install", "-q", "torch")
    say(f"Installing the app{' with ' + extras if extras else ''}")
    run(python, "-m", "pip", "install", "-q", "-e", f".[{extras}]" if extras else ".", cwd=ROOT)
    stamp.write_text(wanted)
    return python


def main(argv: list[str]) -> int:
    action, rest = (argv[0], argv[1:]) if argv else ("run", [])
    if action not in ("run", "test", "setup"):
        print(__doc__)
        return 2
    test_packages = DEBIAN_TEST + ([] if shutil.which("npm") else ["nodejs", "npm"])
    ensure_debian_packages(DEBIAN_APP + (test_packages if action == "test" else []))
    python = ensure_venv("test" if action == "test" else "")
    if action == "setup":
        say("Ready. Start the app with: python3 dev.py run")
        return 0
    if action == "run":
        return subprocess.call([python, "-m", "assistant", "run", *rest])
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    scripts = python.parent
    checks = (
        [python, "-m", "ruff", "check", "."],
        [python, "-m", "ruff", "format", "--check", "."],
        [scripts / ("lint-imports.exe" if os.name == "nt" else "lint-imports")],
        [python, "-m", "mypy"],  # what it checks, and how strictly, is in pyproject.toml
    )
    for check in checks:
        say("Running " + " ".join(str(part) for part in check[1:] or check))
        if subprocess.call(check, cwd=ROOT, env=env) != 0:
            return 1
    if "--fast" in rest:
        # The lane to run while changing code; the full run (no --fast) is CI's and the one that counts.
        rest = [arg for arg in rest if arg != "--fast"]
        say("Running the unit tests (not e2e, not slow)")
        command = [python, "-m", "pytest", *PARALLEL, "-m", FAST_TESTS, *rest]
        return subprocess.call(command, cwd=ROOT, env=env)
    say("Running the tests")
    return subprocess.call([python, "-m", "pytest", *PARALLEL, *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
