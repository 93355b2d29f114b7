"""Settings and names written by someone else, third round (docs/hostile-input.md): the app's language
is a language tag, never a path; `doctor` prints what it quotes safely; a model name too long for a path is
one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import Settings, load_settings
from assistant.engine.models import ModelNotAvailable, ensure_model, is_local


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("ASSISTANT_STT_MODEL", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "value",
    [
        "/tmp/evil",
        "x/../../tmp/evil",
        "..\\\\evil",
        "\x1b[2J\x1b[31mFAKE",
        "es\nfr",
        "e" * 10_000,
        "es_" + "x" * 40,
    ],
)
def test_an_interface_language_that_is_no_language_tag_falls_back(tmp_path: Path, value: str) -> None:
    # gettext joins the language to the catalogues' folder: "/tmp/evil" loaded
    # /tmp/evil/LC_MESSAGES/assistant.mo, and `doctor` printed the value raw.
    path = tmp_path / "settings.toml"
    path.write_text(f"interface_language = {tomlstr(value)}\n", encoding="utf-8")
    settings, warning = load_settings(path)
    assert settings.interface_language == Settings().interface_language
    assert warning is not None and "interface_language" in warning


@pytest.mark.parametrize("value", ["", "es", "pt_BR", "pt-BR", "zh_Hant_TW", "es_MX.UTF-8@euro", "ast"])
def test_language_tags_are_kept(tmp_path: Path, value: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"interface_language = {tomlstr(value)}\n", encoding="utf-8")
    assert load_settings(path) == (Settings(interface_language=value), None)


def tomlstr(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\x1b", "\\u001b") + '"'


def test_doctor_prints_what_the_settings_say_as_escapes(config_dir: Path, capsys) -> None:
    # Before: the model's and the speech model's names went to the terminal raw (clearing it here).
    (config_dir / "settings.toml").write_text(
        'model = "\\u001b[2J\\u001b[31mMODEL"\nstt_model = "\\u001b]0;title\\u0007STT"\n', encoding="utf-8"
    )
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J\\x1b[31mMODEL" in out and "\\x1b]0;title\\x07STT" in out


@pytest.mark.parametrize("name", ["y" * 300, "x/" + "y" * 5000, "/" + "y" * 300])
def test_a_model_name_too_long_for_a_path_is_one_sentence(name: str, monkeypatch) -> None:
    # Before: OSError (File name too long) from Path.is_dir, a traceback from `describe --model`.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert not is_local(name)
    with pytest.raises(ModelNotAvailable) as refused:
        ensure_model(name, progress=False)
    assert "\n" not in str(refused.value) and str(refused.value).endswith("path.")
