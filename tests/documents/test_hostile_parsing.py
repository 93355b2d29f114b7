"""Documents written to hurt the parsers (issue 21, second round): each is built small at the size the
issue gives, then opened in a child process with limited memory and a deadline, so that a regression
fails here (MemoryError, or the deadline as a hang guard) instead of stopping the machine."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path

from bombs import run_limited
from doc_helpers import RED, png
from hostile2 import EPS, docx, picture

GHOSTSCRIPT = "#!/bin/sh\ntouch {marker}\nexit 1\n"
DESCRIBE = """from assistant.engine.images import ImageError, normalize_image
    try:
        normalize_image({eps!r})
        described = "read"
    except ImageError as error:
        described = str(error)
    print(json.dumps([report.as_dict(), described]))"""


def in_child(script: str, memory_mb: int = 1000, timeout: float = 60, env: dict | None = None) -> dict:
    """Run `script` (which prints one JSON value last) in a limited child; its output, parsed."""
    old = os.environ.copy()
    os.environ.update(env or {})
    try:
        result = run_limited(textwrap.dedent(script), memory_mb=memory_mb, timeout=timeout)
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == "", result.stderr[-3000:]  # no traceback, no warning
    return json.loads(result.stdout.splitlines()[-1])


RUN = """
    import json
    from pathlib import Path
    from doc_helpers import RecordingEngine
    from assistant.documents.runner import Options, run
    report = run([Path(p) for p in {paths!r}], RecordingEngine(), Options({options}))
    print(json.dumps(report.as_dict()))
"""


def run_in_child(paths: list[Path], options: str = "write=True", **limits: object) -> dict:
    return in_child(RUN.format(paths=[str(p) for p in paths], options=options), **limits)  # type: ignore[arg-type]


def reasons(report: dict) -> dict[str, list[str]]:
    return {
        Path(document["path"]).name: [image["reason"] for image in document["images"]]
        for document in report["documents"]
    }


# --- 1: only the picture formats meant to be read ---------------------------------------------------------


def test_postscript_named_png_is_not_a_picture_and_runs_no_program(tmp_path: Path) -> None:
    """Pillow hands EPS to Ghostscript; a stand-in `gs` on the PATH shows whether anything asked for it."""
    tools, scratch = tmp_path / "bin", tmp_path / "tmp"
    tools.mkdir()
    scratch.mkdir()
    marker = tmp_path / "ghostscript-ran"
    gs = tools / "gs"
    gs.write_text(GHOSTSCRIPT.format(marker=marker))
    gs.chmod(gs.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "eps.png").write_bytes(EPS)
    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "page.html"
    page.write_text('<img src="eps.png"><img src="red.png">\n')
    word = docx(tmp_path / "word.docx", picture(1), EPS)
    script = RUN.replace("print(json.dumps(report.as_dict()))", DESCRIBE)
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(scratch)}
    report, described = in_child(
        script.format(paths=[str(page), str(word)], options="write=True", eps=str(tmp_path / "eps.png")),
        env=env,
    )
    found = reasons(report)
    not_a_picture = "is not an image that can be read. Try saving it again as PNG or JPEG."
    assert found["page.html"][0] == f"The image eps.png {not_a_picture}"
    assert found["page.html"][1] == ""  # the good picture beside it is written
    assert found["word.docx"][0] == f"The image word/media/image1.png {not_a_picture}"
    assert described == f"The file eps.png {not_a_picture}"
    assert not marker.exists()
    assert list(scratch.iterdir()) == []
