"""Why a file or a connection failed is said in the user's language: the system's own words (strerror)
are English wherever the system's locale is not the app's (a language chosen in Settings, a machine
without the Spanish locale, Windows and macOS), and a Spanish sentence ended "(Not a directory)"."""

from __future__ import annotations

import ast
import errno
from pathlib import Path

import pytest

import assistant
from assistant import i18n
from assistant.config import Settings, SettingsError, save_settings
from assistant.documents.atomic import write_atomically
from assistant.documents.model import DocumentError
from assistant.engine.images import ImageError, normalize_image, open_image


def test_the_settings_saved_under_a_file_say_why_in_spanish(spanish, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        save_settings(Settings(), tmp_path / "a-file" / "assistant" / "settings.toml")
    assert "(una parte de la ruta no es una carpeta)" in str(raised.value)
    assert "directory" not in str(raised.value)


def test_a_picture_under_a_file_says_why_in_spanish(spanish, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(ImageError) as raised:
        normalize_image(tmp_path / "a-file" / "picture.png")
    assert "(una parte de la ruta no es una carpeta)" in str(raised.value), str(raised.value)


def test_a_picture_named_by_nobody_is_named_in_spanish(spanish) -> None:
    with pytest.raises(ImageError) as raised:
        open_image(b"not a picture")
    assert str(raised.value).startswith("La imagen"), str(raised.value)


def test_a_document_that_cannot_be_written_says_why_in_spanish(spanish, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    with pytest.raises(DocumentError) as raised:
        write_atomically(tmp_path / "a-file" / "page.html", lambda file: file.write(b"<p>x</p>"))
    assert "(una parte de la ruta no es una carpeta)" in str(raised.value), str(raised.value)


@pytest.mark.parametrize(
    ("number", "spanish_words"),
    [
        (errno.ENOENT, "no existe ese archivo o carpeta"),
        (errno.EACCES, "permiso denegado"),
        (errno.ENOSPC, "el disco está lleno"),
        (errno.EROFS, "el disco es de solo lectura"),
        (errno.ECONNREFUSED, "se rechazó la conexión"),
    ],
)
def test_the_usual_reasons_are_spanish(spanish, number: int, spanish_words: str) -> None:
    assert i18n.os_reason(OSError(number, "the system's English")) == spanish_words


def test_another_reason_keeps_the_systems_words(spanish) -> None:
    assert i18n.os_reason(OSError(errno.EXDEV, "Invalid cross-device link")) == "Invalid cross-device link"
    assert i18n.os_reason(OSError("no number at all")) == "no number at all"


def test_no_message_quotes_the_systems_words_itself() -> None:
    """Every reason goes through `i18n.os_reason`: reading `.strerror` anywhere else puts English into a
    sentence of the user's language."""
    root = Path(assistant.__file__).parent
    readers = [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "i18n.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "strerror"
    ]
    assert readers == []
