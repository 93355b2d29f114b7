"""Running the Linux installer scripts against a temporary home folder, and reading what they leave."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"
INSTALL = INSTALLER / "linux" / "install.sh"
UNINSTALL = INSTALLER / "uninstall.sh"
COMMON_SH = INSTALLER / "common.sh"


def base_python() -> str:
    """The interpreter this test runs on, outside any virtual environment (the installer makes its own)."""
    return str(Path(getattr(sys, "_base_executable", sys.executable)))


def session_env(home: Path, runtime: Path, path_dirs: list[Path] | None = None) -> dict[str, str]:
    """The environment of a desktop session whose user's home is `home`.

    Like a real session it has an XDG_RUNTIME_DIR (else audio libraries keep runtime files in the home).
    Folders under the real home are dropped from PATH: tools there keep their state in whatever HOME says.
    """
    real_home = os.path.expanduser("~")
    dropped = ("XDG_", "VIRTUAL_ENV", "ASSISTANT_", "PYTHONPATH", "PYTHONHOME")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    kept = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not entry.startswith(real_home + os.sep) and entry != real_home
    ]
    env["PATH"] = os.pathsep.join([*(str(p) for p in path_dirs or []), *kept])
    env["HOME"] = str(home)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    # pip's cache lives outside the temporary home, so later runs reuse what earlier runs fetched.
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or os.path.join(real_home, ".cache", "pip")
    env.pop("PIP_NO_CACHE_DIR", None)
    return env


def run(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a command in the home folder (as a desktop does), no terminal on stdin; output in `.stdout`."""
    return subprocess.run(
        args,
        env=env,
        cwd=env["HOME"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_script(
    script: Path, *args: str, env: dict[str, str], ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run an installer script with bash; when `ok`, fail the test with its output unless it succeeds."""
    result = run(["bash", str(script), *args], env)
    if ok:
        assert result.returncode == 0, f"{script.name} {' '.join(args)} failed:\n{result.stdout[-6000:]}"
    return result


def listing(root: Path) -> dict[str, str]:
    """Every path under `root`: kind and, for files, size and (up to 1 MB) a SHA-256 of the content."""
    result: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            relative = str(path.relative_to(root))
            if path.is_symlink():
                result[relative] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                result[relative] = "dir"
            else:
                size = path.stat().st_size
                digest = hashlib.sha256(path.read_bytes()).hexdigest() if size < 1_000_000 else ""
                result[relative] = f"file {size} {digest}"
    return result


def desktop_value(entry: Path, key: str) -> str:
    """The value of `key` in the [Desktop Entry] group, with the spec's string escapes undone."""
    values = [line.split("=", 1)[1] for line in entry.read_text().splitlines() if line.startswith(key + "=")]
    assert len(values) == 1, f"{entry} has {len(values)} {key} lines"
    escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    out, chars = [], iter(values[0])
    for char in chars:
        out.append(escapes.get(next(chars, ""), "") if char == "\\" else char)
    return "".join(out)


def exec_argv(entry: Path) -> list[str]:
    """The Exec line as the desktop launches it (double quotes with \\-escapes, %% for a literal %)."""
    return [arg.replace("%%", "%") for arg in shlex.split(desktop_value(entry, "Exec"))]
