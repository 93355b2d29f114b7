"""Which module reads which file, and finding documents in the paths a user gives."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.documents import epub, html, markdown, ooxml, pdf, sources
from assistant.documents.atomic import is_backup
from assistant.documents.model import Document, DocumentError
from assistant.documents.phrases import phrase
from assistant.i18n import _

Opener = Callable[[Path, bytes, sources.Access | None], Document]

OPENERS: dict[str, Opener] = {
    **dict.fromkeys(html.EXTENSIONS, html.open_document),
    **dict.fromkeys(markdown.EXTENSIONS, markdown.open_document),
    ".docx": ooxml.open_docx,
    ".pptx": ooxml.open_pptx,
    **dict.fromkeys(epub.EXTENSIONS, epub.open_document),
    **dict.fromkeys(pdf.EXTENSIONS, pdf.open_document),
}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in OPENERS


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def find_documents(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Documents named or inside the folders named (sorted), and (path, problem) for the rest."""
    found: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            root = os.path.realpath(path)
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    candidate = Path(folder, name)
                    if not is_supported(candidate) or is_backup(candidate) or name.startswith("."):
                        continue
                    if candidate.is_symlink() and not _within(os.path.realpath(candidate), root):
                        # A shared folder must not make the run write into the user's other files.
                        problems.append(
                            (
                                candidate,
                                # Translators: the alt-text report; {name} is a link found in the folder
                                # {folder}.
                                phrase(
                                    "{name} is a link to a file outside {folder}, so it was left alone; name it directly to add alt-text to it.",
                                    name=name,
                                    folder=path.name or str(path),
                                ),
                            )
                        )
                        continue
                    found.append(candidate)
        elif path.is_file():
            if is_supported(path):
                found.append(path)
            else:
                problems.append(
                    (
                        path,
                        # Translators: the alt-text report, a file named on the command line.
                        phrase(
                            "{name} is not a supported kind of document (HTML, Markdown, Word, PowerPoint, EPUB or PDF).",
                            name=path.name,
                        ),
                    )
                )
        elif os.path.lexists(path):
            # Translators: the alt-text report, a path named on the command line.
            unusable = phrase(
                "{path} is not a regular file (it is a device, pipe or broken link).", path=str(path)
            )
            problems.append((path, unusable))
        else:
            # Translators: the alt-text report, a path named on the command line.
            problems.append(
                (path, phrase("{path} was not found. Check the name and try again.", path=str(path)))
            )
    return list(dict.fromkeys(found)), problems


def open_document(path: Path, raw: bytes, access: sources.Access | None = None) -> Document:
    """Parse a document already read into memory; DocumentError when it cannot be understood."""
    opener = OPENERS.get(path.suffix.lower())
    if opener is None:
        raise DocumentError(_("{name} is not a supported kind of document.").format(name=path.name))
    try:
        return opener(path, raw, access)
    except DocumentError:
        raise
    except (ValueError, UnicodeError, RecursionError, OSError) as error:
        raise DocumentError(
            _("{name} could not be read as a document ({error}).").format(name=path.name, error=error)
        ) from None
