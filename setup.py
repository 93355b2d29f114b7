"""The build's one step beyond pyproject.toml: the translations' .mo files, compiled from the .po files.

`pip install .` and `pip install -e .` (dev.py's install) run it before the package's files are gathered;
the .mo files are written beside their .po in assistant/locale (where the editable install reads them,
and from where the wheel takes them) and are never committed. A fuzzy translation is left out, so the
English is said rather than a guess.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import Command, setup
from setuptools.command.build import build

ROOT = Path(__file__).resolve().parent
LOCALE = ROOT / "assistant" / "locale"


def _po_files() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def _relative(path: Path) -> str:
    # setuptools takes only paths relative to the project.
    return path.relative_to(ROOT).as_posix()


class CompileCatalogues(Command):
    description = "compile assistant/locale/*/LC_MESSAGES/*.po into .mo files"
    user_options: list[tuple[str, str | None, str]] = []  # noqa: RUF012 (distutils' own interface)

    def initialize_options(self) -> None:
        pass

    def finalize_options(self) -> None:
        pass

    def run(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in _po_files():
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            mo_path = po_path.with_suffix(".mo")
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog, use_fuzzy=False)

    def get_outputs(self) -> list[str]:
        # editable_wheel asks each build step what it wrote.
        return [_relative(path.with_suffix(".mo")) for path in _po_files()]

    def get_source_files(self) -> list[str]:
        return [_relative(path) for path in _po_files()]


class Build(build):
    # Before build_py, which gathers the package data the .mo files are part of.
    sub_commands = [("compile_catalogues", None), *build.sub_commands]  # noqa: RUF012


setup(cmdclass={"build": Build, "compile_catalogues": CompileCatalogues})
