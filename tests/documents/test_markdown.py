"""Markdown: inline, reference-style and raw HTML images; nothing in code is touched."""

from __future__ import annotations

from pathlib import Path

from doc_helpers import BLUE, GREEN, RED, RecordingEngine, alt_for, png

from assistant.documents.markdown import code_block_ranges, escape_alt
from assistant.documents.model import Outcome, Status
from assistant.documents.runner import Options, run

TEMPLATE = """# Notes

An inline image ![{inline}](red.png "A title") and one with alt ![Blue square](blue.png).
Placeholder: ![image](green.png). Escaped \\![not an image](red.png) and `![in a span](red.png)`.
A link around an image: [![{linked}](blue.png)](https://example.com).

Reference styles: ![{full}][pic] and {collapsed} and {shortcut}.

```python
![fenced](red.png)
```

~~~
![tilde fenced](red.png)
~~~

    ![indented code](red.png)

- a list item

    ![in the list, not code](green.png)

<!-- ![commented out](red.png) -->
<img src="green.png" width="20"{raw}>
<img src="red.png" alt="">

[pic]: red.png
[green]: <green.png> "Green"
"""


def render(alts: dict[str, str] | None = None) -> bytes:
    alts = alts or {}
    text = TEMPLATE.format(
        inline=alts.get("inline", ""),
        linked=alts.get("linked", ""),
        full=alts.get("full", ""),
        collapsed=f"![{alts['collapsed']}][green]" if "collapsed" in alts else "![green][]",
        shortcut=f"![{alts['shortcut']}][green]" if "shortcut" in alts else "![green]",
        raw=f' alt="{alts["raw"]}"' if "raw" in alts else "",
    )
    return text.encode()


def make(tmp_path: Path) -> Path:
    for name, color in (("red.png", RED), ("blue.png", BLUE), ("green.png", GREEN)):
        (tmp_path / name).write_bytes(png(color))
    page = tmp_path / "notes.md"
    page.write_bytes(render())
    return page


def test_finds_exactly_the_images_outside_code(tmp_path: Path, engine: RecordingEngine) -> None:
    report = run([make(tmp_path)], engine)
    found = [(image.source, image.current_alt, image.status) for image in report.documents[0].images]
    assert found == [
        ("red.png", None, Status.MISSING),
        ("blue.png", "Blue square", Status.HAS_ALT),
        ("green.png", "image", Status.SUSPICIOUS),
        ("blue.png", None, Status.MISSING),
        ("red.png", None, Status.MISSING),
        ("green.png", "green", Status.SUSPICIOUS),  # the label only repeats the file name
        ("green.png", "green", Status.SUSPICIOUS),
        ("green.png", "in the list, not code", Status.HAS_ALT),
        ("green.png", None, Status.MISSING),
        ("red.png", "", Status.DECORATIVE),
    ]


def test_write_changes_only_the_alt_text(tmp_path: Path, engine: RecordingEngine) -> None:
    page = make(tmp_path)
    run([page], engine, Options(write=True, fix_suspicious=True))
    expected = {
        "inline": alt_for(RED),
        "linked": alt_for(BLUE),
        "full": alt_for(RED),
        "collapsed": alt_for(GREEN),
        "shortcut": alt_for(GREEN),
        "raw": alt_for(GREEN),
    }
    written = page.read_bytes().decode()
    assert written == render(expected).decode().replace(
        "![image](green.png)", f"![{alt_for(GREEN)}](green.png)"
    )
    assert (tmp_path / "notes.orig.md").read_bytes() == render()
    # The references still resolve: the rewritten collapsed and shortcut forms name [green] explicitly.
    assert written.count("][green]") == 2


def test_alt_text_is_escaped_for_markdown(tmp_path: Path) -> None:
    (tmp_path / "red.png").write_bytes(png(RED))
    page = tmp_path / "x.md"
    page.write_text("![](red.png)\n")
    report = run([page], RecordingEngine(replies={RED: "a [bracketed] back\\slash *star* `tick` <b> & co"}),
                 Options(write=True))  # fmt: skip
    assert report.documents[0].images[0].outcome is Outcome.WRITTEN
    assert (
        page.read_text()
        == "![A \\[bracketed\\] back\\\\slash \\*star\\* \\`tick\\` \\<b\\> \\& co.](red.png)\n"
    )
    again = run([page], RecordingEngine())
    assert again.documents[0].images[0].current_alt == "A [bracketed] back\\slash *star* `tick` <b> & co."


def test_escape_alt_removes_control_characters() -> None:
    assert escape_alt("a\x00b\nc\x1fd") == "a b c d"


def test_code_blocks() -> None:
    text = "para\n    not code (lazy continuation)\n\n    code\n\n```\nfenced\n````\n\nafter\n"
    blocks = [text[start:end] for start, end in code_block_ranges(text)]
    assert "    code\n" in blocks
    assert "    not code (lazy continuation)\n" not in blocks
    assert "```\n" in blocks and "fenced\n" in blocks and "````\n" in blocks
    assert "after\n" not in blocks
