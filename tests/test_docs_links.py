"""The README stays a front door, and every relative link in the documentation leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 150
# A table row or paragraph longer than this is a wall no one reads; the README once had one of 1,814.
LINE_MAX_CHARS = 1000

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")
CODE_SPAN = re.compile(r"`[^`]*`")


def documents() -> list[Path]:
    return [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """The lines outside fenced code, with code spans removed: links live in prose."""
    lines: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        lines.append((number, CODE_SPAN.sub("", line)))
    return lines


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = CODE_SPAN.sub(lambda m: m.group(0).strip("`"), heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            found.add(anchor(line.lstrip("#")))
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    broken = []
    for number, line in prose_lines(path):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, fragment = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(root)}:{number}: {target}"
            if not linked.exists():
                broken.append(f"{where} (no such file)")
            elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
                broken.append(f"{where} (no such heading)")
    return broken


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    assert broken_links(path) == []


# A file or folder of this repository named in code (`tests/speech/orca_service.py`), as rooms move.
REPO_PATH = re.compile(r"`((?:assistant|tests|installer|docs)/[^`\s:]*)")


def missing_repo_paths(path: Path, root: Path = ROOT) -> list[str]:
    missing = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for named in REPO_PATH.findall(line):
            if any(re.fullmatch(r"[A-Z_]+", part) for part in named.split("/")):
                continue  # a placeholder: assistant/locale/LANG/…
            if not (root / named).exists():
                missing.append(f"{path.relative_to(root)}:{number}: {named}")
    return missing


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_named_in_code_is_there(path: Path) -> None:
    assert missing_repo_paths(path) == []


def test_the_checker_finds_a_file_that_moved(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "here.py").write_text("", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("`tests/here.py` `tests/gone.py` `assistant/locale/LANG/x.po`\n", encoding="utf-8")
    assert missing_repo_paths(page, root=tmp_path) == ["page.md:1: tests/gone.py"]


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_wall_of_a_line(path: Path) -> None:
    long = [
        n
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > LINE_MAX_CHARS
    ]
    assert long == [], f"{path.name}: lines over {LINE_MAX_CHARS} characters: {long}"


def test_readme_is_a_front_door() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move the detail into docs/"
    text = "\n".join(lines)
    for command in ("python3 dev.py run", "python3 dev.py test"):
        assert command in text
    for page in ("docs/user-guide.md", "docs/command-line.md", "docs/architecture.md", "docs/testing.md"):
        assert f"]({page}" in text, f"README.md does not link {page}"


def test_the_checker_finds_a_broken_link_and_a_missing_heading(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## A section, with `code`\n", encoding="utf-8")
    page.write_text(
        "[fine](other.md#a-section-with-code) [gone](missing.md) [nowhere](other.md#no-such)\n"
        "`[not a link](missing.md)`\n```\n[in code](missing.md)\n```\n[web](https://example.org)\n",
        encoding="utf-8",
    )
    assert broken_links(page, root=tmp_path) == [
        "page.md:1: missing.md (no such file)",
        "page.md:1: other.md#no-such (no such heading)",
    ]
