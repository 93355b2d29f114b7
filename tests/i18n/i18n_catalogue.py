"""The message template and catalogues: extracted from the code with Babel, checked, and updated.

    .venv/bin/python tests/i18n/i18n_catalogue.py   rewrites assistant/locale/assistant.pot from the code
                                                    and merges it into every .po (new messages untranslated)

The tests in this folder use the same extraction, so the template they check is the one this writes.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "assistant" / "locale"
TEMPLATE = LOCALE / "assistant.pot"
# `phrase` and `nphrase` mark the alt-text report's sentences, translated when shown (documents/phrases.py).
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "N_": None,
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "phrase": None,
    "nphrase": (1, 2),
}
# The benchmarks are the developers' tool, in English; only their line in `assistant --help` is translated.
METHODS = [("**/bench/command.py", "python"), ("**/bench/**.py", "ignore"), ("**.py", "python")]
# str.format's {name} and printf's %s / %(name)s.
PLACEHOLDER = re.compile(
    r"\{[A-Za-z_][\w.]*(?:![rsa])?(?::[^{}]*)?\}|%(?:\([^)]*\))?[-#0+]*\d*(?:\.\d+)?[sdifr%]"
)


def extract() -> Catalog:
    """Every wrapped message in the package, with its translator comments and where it is."""
    catalog = Catalog(project="assistant", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT / "assistant",
        method_map=METHODS,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(
            message, None, [(f"assistant/{filename}", lineno)], auto_comments=comments, context=context
        )
    return catalog


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


def template_text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False)
    # No date, so the file changes only when the messages do.
    return re.sub(rb'"POT-Creation-Date: [^"]*"\n', b"", out.getvalue())


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def main() -> int:
    template = extract()
    TEMPLATE.write_bytes(template_text(template))
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/assistant.po")):
        catalog = read(po_path, po_path.parent.parent.name)
        catalog.update(template, no_fuzzy_matching=True)
        out = io.BytesIO()
        write_po(out, catalog, width=100, ignore_obsolete=True)
        po_path.write_bytes(out.getvalue())
    print(f"{len(template)} messages in {TEMPLATE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
