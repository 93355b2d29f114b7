"""Quick checks of the installer scripts: shellcheck, options, the torch choice, refusing to overwrite,
and the uninstaller's guards. None of these gets as far as building an environment."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from installer_helpers import (
    COMMON_SH,
    INSTALL,
    REPO,
    UNINSTALL,
    base_python,
    listing,
    run,
    run_script,
    session_env,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("bash") is None, reason="needs Linux and bash"
)

SHELL_SCRIPTS = sorted((REPO / "installer").rglob("*.sh"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".config" / "other").mkdir(parents=True)
    (home / ".config" / "other" / "settings.ini").write_text("x=1\n")
    return home


@pytest.fixture
def env(tmp_path: Path, home: Path) -> dict[str, str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    return session_env(home, runtime, path_dirs=[tmp_path / "bin"])


def fake_nvidia_smi(env: dict[str, str], output: str, status: int) -> None:
    """An `nvidia-smi` first on PATH that prints `output` and exits with `status`."""
    folder = Path(env["PATH"].split(":")[0])
    folder.mkdir(exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{output}'\nexit {status}\n")
    script.chmod(0o755)


def test_shell_scripts_pass_shellcheck() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (Debian: apt-get install shellcheck)")
    assert {p.relative_to(REPO).as_posix() for p in SHELL_SCRIPTS} >= {
        "installer/common.sh",
        "installer/linux/install.sh",
        "installer/macos/install.sh",
        "installer/uninstall.sh",
    }
    result = run(["shellcheck", "--shell=bash", *map(str, SHELL_SCRIPTS)], {"HOME": str(REPO)})
    assert result.returncode == 0, result.stdout


def test_help_lists_the_options(env: dict[str, str], home: Path) -> None:
    before = listing(home)
    out = run_script(INSTALL, "--help", env=env).stdout
    for option in (
        "--source",
        "--torch cpu|cuda",
        "--torch-spec",
        "--torch-index",
        "--autostart",
        "--system-deps",
    ):
        assert option in out
    assert "--purge" in run_script(UNINSTALL, "--help", env=env).stdout
    assert listing(home) == before


def test_unknown_option_is_one_plain_sentence_and_changes_nothing(env: dict[str, str], home: Path) -> None:
    before = listing(home)
    result = run_script(INSTALL, "--frobnicate", env=env, ok=False)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines() == [
        "Error: Unknown option: --frobnicate.",
        "Run install.sh --help to see the options.",
    ]
    assert listing(home) == before


def choose_torch(env: dict[str, str], *args: str) -> str:
    """The installer's output up to where it stops at a missing --source, before changing anything."""
    result = run_script(
        INSTALL, "--python", base_python(), *args, "--source", "/nonexistent", env=env, ok=False
    )
    assert result.returncode == 1
    assert (
        "Error: --source /nonexistent is neither a folder with pyproject.toml nor a .whl file."
        in result.stdout
    )
    return result.stdout


def test_an_nvidia_gpu_gets_the_cuda_build(env: dict[str, str], home: Path) -> None:
    fake_nvidia_smi(env, "GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-1234)\n", 0)
    before = listing(home)
    out = choose_torch(env)
    assert (
        "Found an NVIDIA GPU (GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-1234)): installing the CUDA build"
        in out
    )
    assert "torch requirement: torch, from the package index pip is set up to use." in out
    assert listing(home) == before


def test_no_gpu_gets_the_cpu_build_from_pytorchs_index(env: dict[str, str]) -> None:
    fake_nvidia_smi(env, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", 9)
    out = choose_torch(env)
    assert "No NVIDIA GPU found (nvidia-smi lists none): installing the CPU build of torch." in out
    assert "torch requirement: torch, from https://download.pytorch.org/whl/cpu." in out


def test_the_build_and_the_index_can_be_forced(env: dict[str, str]) -> None:
    fake_nvidia_smi(env, "GPU 0: NVIDIA A100\n", 0)
    out = choose_torch(env, "--torch", "cpu", "--torch-spec", "torch==2.13.0", "--torch-index", "")
    assert "Using the cpu build, as asked." in out
    assert "torch requirement: torch==2.13.0, from the package index pip is set up to use." in out
    env["ASSISTANT_TORCH_INDEX"] = "https://example.org/simple"
    assert "from https://example.org/simple." in choose_torch(env, "--torch=cuda")


def test_refuses_to_overwrite_a_launcher_it_did_not_make(env: dict[str, str], home: Path) -> None:
    theirs = home / ".local" / "bin" / "assistant"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("#!/bin/sh\necho somebody else's assistant\n")
    before = listing(home)

    args = ("--python", base_python(), "--source", str(REPO), "--no-model")
    result = run_script(INSTALL, *args, env=env, ok=False)

    assert result.returncode == 1
    assert f"Error: {theirs} already exists and was not put there by this installer." in result.stdout
    assert listing(home) == before


def test_uninstall_when_nothing_is_installed_changes_nothing(env: dict[str, str], home: Path) -> None:
    before = listing(home)
    result = run_script(UNINSTALL, env=env)
    assert "Assistant is not installed" in result.stdout
    assert listing(home) == before


def test_uninstall_refuses_a_manifest_naming_a_foreign_folder(env: dict[str, str], home: Path) -> None:
    app = home / ".local" / "share" / "assistant"
    app.mkdir(parents=True)
    (app / "install-manifest.txt").write_text(
        f"option torch cpu\ntree {home / '.config'}\nfile {home / 'x'}\n"
    )
    (home / "x").write_text("mine")
    before = listing(home)

    result = run_script(UNINSTALL, env=env, ok=False)

    assert result.returncode == 1 and "names an unexpected folder" in result.stdout
    assert listing(home) == before


def test_an_unexpected_failure_is_reported_and_changes_nothing(env: dict[str, str], home: Path) -> None:
    (home / ".local").mkdir()
    (home / ".local" / "share").write_text("a file where the data folder should be\n")
    before = listing(home)

    result = run_script(
        INSTALL, "--python", base_python(), "--source", str(REPO), "--no-model", env=env, ok=False
    )

    assert result.returncode == 1
    assert "Error: A command failed unexpectedly (its message is above)." in result.stdout
    assert "mkdir" in result.stdout  # the failing command's own message
    assert listing(home) == before


def make_dirs(folder: Path, made: list[Path]) -> None:
    """Creates `folder` and its missing parents, noting each one in `made` (parents first), as the
    installer's manifest does."""
    missing = []
    while not folder.exists():
        missing.insert(0, folder)
        folder = folder.parent
    for path in missing:
        path.mkdir()
        made.append(path)


def installed_uninstaller(home: Path, data: Path, venv_kind: str = "tree") -> tuple[Path, list[Path]]:
    """The data folder as an install leaves it (uninstall.sh, common.sh beside it, an environment, a
    launcher and the manifest naming them and the folders made for them), without running the installer.
    Returns the installed uninstaller and the folders made."""
    made: list[Path] = []
    make_dirs(data, made)
    make_dirs(home / ".local" / "bin", made)
    uninstaller, common, launcher = (
        data / "uninstall.sh",
        data / "common.sh",
        home / ".local" / "bin" / "assistant",
    )
    shutil.copy(UNINSTALL, uninstaller)
    shutil.copy(COMMON_SH, common)
    launcher.write_text("#!/bin/sh\n")
    (data / "venv" / "bin").mkdir(parents=True)
    (data / "venv" / "bin" / "python").write_text("")
    (data / "install-manifest.txt").write_text(
        "option torch cpu\noption autostart no\n"
        + "".join(f"dir {folder}\n" for folder in made)
        + f"{venv_kind} {data / 'venv'}\nfile {launcher}\nfile {uninstaller}\nfile {common}\n"
    )
    return uninstaller, made


def test_the_installed_uninstaller_works_from_beside_common_sh(env: dict[str, str], home: Path) -> None:
    before = listing(home)
    # In the data folder, away from the checkout: the uninstaller can only use the common.sh beside it.
    uninstaller, _ = installed_uninstaller(home, home / ".local" / "share" / "assistant")

    result = run(["bash", str(uninstaller)], env)

    assert result.returncode == 0, result.stdout
    assert "Assistant is removed." in result.stdout
    assert listing(home) == before


def test_an_installed_uninstaller_without_common_sh_says_what_to_do(env: dict[str, str], home: Path) -> None:
    data = home / ".local" / "share" / "assistant"
    uninstaller, _ = installed_uninstaller(home, data)
    (data / "common.sh").unlink()
    before = listing(home)

    result = run(["bash", str(uninstaller)], env)

    assert result.returncode == 1
    assert result.stdout.strip().splitlines() == [
        f"Error: The uninstaller cannot find common.sh beside it in {data}.",
        "Run the installer again (it puts common.sh there), then run the uninstaller again.",
    ]
    assert listing(home) == before


def fake_macos(env: dict[str, str]) -> Path:
    """`uname` saying Darwin and a `launchctl` that logs its arguments, first on PATH; returns the log."""
    folder = Path(env["PATH"].split(":")[0])
    folder.mkdir(exist_ok=True)
    log = folder / "launchctl.log"
    for name, body in {"uname": "echo Darwin", "launchctl": f'echo "$*" >>"{log}"'}.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return log


def test_the_uninstaller_on_macos_removes_the_bundle_and_unloads_the_login_item(
    env: dict[str, str], home: Path
) -> None:
    launchctl_log = fake_macos(env)
    before = listing(home)
    data = home / "Library" / "Application Support" / "assistant"
    uninstaller, _ = installed_uninstaller(home, data)
    bundle = home / "Applications" / "Assistant.app"
    agent = home / "Library" / "LaunchAgents" / "org.assistant.app.plist"
    made: list[Path] = []
    make_dirs(bundle.parent, made)
    make_dirs(agent.parent, made)
    (bundle / "Contents" / "MacOS").mkdir(parents=True)
    agent.write_text("<plist/>")
    with (data / "install-manifest.txt").open("a") as manifest:
        manifest.write("".join(f"dir {folder}\n" for folder in made) + f"bundle {bundle}\nfile {agent}\n")

    result = run(["bash", str(uninstaller)], env)

    assert result.returncode == 0, result.stdout
    assert "==> Removing the login item, the app and the launcher" in result.stdout
    assert launchctl_log.read_text().split()[:1] == ["bootout"]
    assert listing(home) == before


def test_the_uninstaller_on_linux_refuses_a_bundle(env: dict[str, str], home: Path) -> None:
    data = home / ".local" / "share" / "assistant"
    uninstaller, _ = installed_uninstaller(home, data, venv_kind="bundle")
    before = listing(home)

    result = run(["bash", str(uninstaller)], env)

    assert result.returncode == 1 and "names an unexpected folder" in result.stdout
    assert listing(home) == before
