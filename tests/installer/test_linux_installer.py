"""The Linux installer and uninstaller, run for real in a temporary home folder.

One install (with torch) per module; the tests then run in order: the installed state, an upgrade that
fails and is rolled back, an upgrade, uninstalling, purging. torch comes from pip's configured index
(`--torch-index ''`), which on the test machine offers the local CPU wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from installer_helpers import (
    COMMON_SH,
    INSTALL,
    REPO,
    UNINSTALL,
    base_python,
    desktop_value,
    exec_argv,
    listing,
    run,
    run_script,
    session_env,
)

from assistant import __version__

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux installer runs on Linux"),
    pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash"),
]

COMMON = (
    "--source",
    str(REPO),
    "--python",
    base_python(),
    "--torch",
    "cpu",
    "--torch-spec",
    "torch==2.13.0",
    "--torch-index",
    "",
    "--no-model",
)
SETTINGS = '# written by the app\nrate = 180\ndetail = "detailed"\n'


@dataclass
class Machine:
    home: Path
    env: dict[str, str]
    before: dict[str, str]
    install_output: str

    @property
    def data(self) -> Path:
        return self.home / ".local" / "share"

    @property
    def launcher(self) -> Path:
        return self.home / ".local" / "bin" / "assistant"

    @property
    def menu_entry(self) -> Path:
        return self.data / "applications" / "assistant.desktop"

    @property
    def autostart_entry(self) -> Path:
        return self.home / ".config" / "autostart" / "assistant.desktop"

    @property
    def venv(self) -> Path:
        return self.data / "assistant" / "venv"

    @property
    def settings(self) -> Path:
        return self.home / ".config" / "assistant" / "settings.toml"


def populate(home: Path) -> None:
    """A home folder with a life of its own: other programs' launchers, menu entries and settings."""
    for relative, text in {
        ".bashrc": "export EDITOR=nano\n",
        ".local/bin/other-tool": "#!/bin/sh\necho other\n",
        ".local/share/applications/other.desktop": "[Desktop Entry]\nType=Application\nName=Other\nExec=other\n",
        ".config/other/settings.ini": "[main]\nx=1\n",
    }.items():
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Machine:
    root = tmp_path_factory.mktemp("installer")
    home = root / "home of a tester"  # a space, to prove the quoting in scripts and the menu entry
    populate(home)
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    env = session_env(home, runtime)
    before = listing(home)
    result = run_script(INSTALL, *COMMON, "--autostart", env=env)
    return Machine(home, env, before, result.stdout)


def test_install_says_what_it_does(machine: Machine) -> None:
    out = machine.install_output
    for line in (
        "==> Checking the system packages Assistant needs",
        "Using the cpu build, as asked.",
        "==> Creating the Python environment in",
        "==> Installing torch (torch==2.13.0, cpu build",
        "==> Adding the menu entry and its icon",
        "Assistant is installed.",
        "==> Checking what this computer can do (assistant doctor)",
        'run "assistant models download" before first use',
    ):
        assert line in out
    assert "Traceback" not in out


def test_menu_entry_validates_and_starts_the_installed_app(machine: Machine) -> None:
    validate = run(["desktop-file-validate", str(machine.menu_entry)], machine.env)
    assert validate.returncode == 0 and validate.stdout.strip() == "", validate.stdout

    argv = exec_argv(machine.menu_entry)
    assert argv == [str(machine.launcher), "run"]
    version = run([*argv[:-1], "--version"], machine.env)
    assert version.returncode == 0 and version.stdout.strip() == f"assistant {__version__}"
    doctor = run([*argv[:-1], "doctor"], machine.env, timeout=120)
    assert doctor.returncode == 0, doctor.stdout
    assert f"assistant {__version__}, Python" in doctor.stdout and "Traceback" not in doctor.stdout

    # The launcher runs the private environment's copy of the app, not the checkout.
    where = run(
        [str(machine.venv / "bin" / "python"), "-c", "import assistant; print(assistant.__file__)"],
        machine.env,
    )
    assert Path(where.stdout.strip()).is_relative_to(machine.venv)
    assert str(machine.venv / "bin" / "assistant") in machine.launcher.read_text()


def test_menu_icon_is_installed_in_the_icon_theme(machine: Machine) -> None:
    assert desktop_value(machine.menu_entry, "Icon") == "assistant"
    icons = machine.data / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / "assistant.png").read_bytes() == (
        REPO / "resources" / "assistant.png"
    ).read_bytes()
    assert (icons / "scalable" / "apps" / "assistant.svg").read_bytes() == (
        REPO / "resources" / "assistant.svg"
    ).read_bytes()


def test_autostart_entry_starts_the_app_at_login(machine: Machine) -> None:
    validate = run(["desktop-file-validate", str(machine.autostart_entry)], machine.env)
    assert validate.returncode == 0 and validate.stdout.strip() == "", validate.stdout
    assert exec_argv(machine.autostart_entry) == [str(machine.launcher), "run"]


def test_the_uninstaller_is_installed_with_the_shell_it_shares(machine: Machine) -> None:
    installed = machine.data / "assistant"
    assert (installed / "uninstall.sh").read_bytes() == UNINSTALL.read_bytes()
    assert (installed / "common.sh").read_bytes() == COMMON_SH.read_bytes()


def test_failed_upgrade_puts_everything_back(machine: Machine, tmp_path: Path) -> None:
    machine.settings.parent.mkdir(parents=True, exist_ok=True)
    machine.settings.write_text(SETTINGS)
    broken = tmp_path / "broken checkout"
    broken.mkdir()
    (broken / "pyproject.toml").write_text("[project]\nname = 'assistant'\nversion = \n")
    before = listing(machine.home)

    result = run_script(
        INSTALL, *COMMON, "--no-autostart", "--source", str(broken), env=machine.env, ok=False
    )

    assert result.returncode == 1
    assert "Error: Installing the app failed." in result.stdout
    assert "Your computer is as it was before this run." in result.stdout
    assert listing(machine.home) == before
    assert run([str(machine.launcher), "--version"], machine.env).returncode == 0


def test_second_install_upgrades_in_place_and_keeps_settings(machine: Machine, tmp_path: Path) -> None:
    python = str(machine.venv / "bin" / "python")
    marker = machine.venv / "kept-by-an-in-place-upgrade"
    marker.write_text("")
    build = run([python, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(REPO)], machine.env)
    assert build.returncode == 0, build.stdout
    (wheel,) = tmp_path.glob("assistant-*.whl")
    # An installed copy of the same version that differs from the wheel: the upgrade must replace it.
    module = Path(
        run([python, "-c", "import assistant; print(assistant.__file__)"], machine.env).stdout.strip()
    )
    fresh = module.read_text()
    module.write_text(fresh + "# stale\n")

    result = run_script(INSTALL, *COMMON, "--no-autostart", "--source", str(wheel), env=machine.env)

    assert f"Installing the app from the wheel {wheel}." in result.stdout
    assert "==> Upgrading the existing environment in place" in result.stdout
    assert "Assistant is upgraded; your settings are kept." in result.stdout
    assert module.read_text() == fresh
    assert marker.exists()
    assert not (machine.venv.parent / "venv.previous").exists()
    assert machine.settings.read_text() == SETTINGS
    assert not machine.autostart_entry.exists() and not machine.autostart_entry.parent.exists()
    assert run([str(machine.launcher), "--version"], machine.env).returncode == 0
    marker.unlink()


def test_neither_upgrades_nor_removes_a_running_app(machine: Machine) -> None:
    before = listing(machine.home)
    app = subprocess.Popen(
        [str(machine.venv / "bin" / "python"), "-c", "import sys; sys.stdin.read()"],
        stdin=subprocess.PIPE,
        cwd=machine.home,
    )
    try:
        install = run_script(INSTALL, *COMMON, env=machine.env, ok=False)
        uninstall = run_script(machine.data / "assistant" / "uninstall.sh", env=machine.env, ok=False)
    finally:
        app.communicate(b"", timeout=30)
    assert install.returncode == 1
    assert "Error: Assistant is running, so it cannot be upgraded now." in install.stdout
    assert uninstall.returncode == 1
    assert "Error: Assistant is running, so it cannot be removed now." in uninstall.stdout
    assert listing(machine.home) == before


def test_uninstall_removes_what_was_added_and_keeps_settings(machine: Machine) -> None:
    uninstaller = machine.data / "assistant" / "uninstall.sh"
    result = run_script(uninstaller, env=machine.env)

    assert "Assistant is removed." in result.stdout
    after = listing(machine.home)
    kept = {key: after[key] for key in set(after) - set(machine.before)}
    assert kept.keys() == {".config/assistant", ".config/assistant/settings.toml"}, sorted(kept)
    assert {key: after[key] for key in machine.before} == machine.before
    assert machine.settings.read_text() == SETTINGS


def test_purge_removes_the_settings_too(machine: Machine) -> None:
    run_script(UNINSTALL, "--purge", env=machine.env)
    assert listing(machine.home) == machine.before


def test_failed_first_install_leaves_the_home_as_it_was(tmp_path: Path) -> None:
    home = tmp_path / "home"
    populate(home)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = session_env(home, runtime)
    before = listing(home)

    result = run_script(INSTALL, *COMMON, "--autostart", "--torch-spec", "torch==0.0.1", env=env, ok=False)

    assert result.returncode == 1
    assert "==> Creating the Python environment in" in result.stdout
    assert "Error: Installing torch failed." in result.stdout
    assert "Your computer is as it was before this run." in result.stdout
    assert listing(home) == before
