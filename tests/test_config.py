"""Settings: defaults, TOML round trip, damaged files, wrong types, atomic saves, hotkey strings."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import (
    DEFAULT_HOTKEYS,
    HotkeyError,
    Settings,
    SettingsError,
    load_settings,
    parse_hotkey,
    save_settings,
    settings_path,
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.toml"


def test_defaults() -> None:
    settings = Settings()
    assert settings.hotkeys == {
        "describe-screen": "ctrl+alt+d",
        "describe-region": "ctrl+alt+r",
        "describe-window": "ctrl+alt+w",
        "read-text": "ctrl+alt+t",
        "read-all-text": "ctrl+alt+e",
        "describe-clipboard": "ctrl+alt+v",
        "ask": "ctrl+alt+a",
        "stop": "ctrl+alt+s",
        "listen": "ctrl+alt+q",
    }
    assert settings.speech_enabled is True
    assert settings.voice is None and settings.rate is None and settings.input_device is None
    assert settings.volume == 1.0
    assert (settings.model, settings.device, settings.precision, settings.detail) == (
        "Salesforce/blip2-opt-2.7b",
        "auto",
        "auto",
        "brief",
    )
    assert (settings.stt_model, settings.language) == ("tiny.en", "")  # "": the app's language
    assert settings.earcons and settings.ask_after_listening and settings.announce_ready
    # Each Settings has its own hotkey table.
    Settings().hotkeys["ask"] = "ctrl+alt+x"
    assert Settings().hotkeys["ask"] == "ctrl+alt+a"


def test_missing_file_gives_defaults_without_warning(path: Path) -> None:
    assert load_settings(path) == (Settings(), None)


def test_round_trip(path: Path) -> None:
    settings = Settings(
        hotkeys={**DEFAULT_HOTKEYS, "describe-screen": "ctrl+shift+f12", "stop": "", "quit": "super+q"},
        speech_enabled=False,
        voice="English (Great Britain)",
        rate=210,
        volume=0.4,
        earcons=False,
        model="/models/tiny-blip2",
        device="cpu",
        precision="fp32",
        detail="detailed",
        stt_model="base.en",
        language="de",
        input_device="USB Microphone",
        ask_after_listening=False,
        announce_ready=False,
    )
    assert save_settings(settings, path) == path
    loaded, warning = load_settings(path)
    assert warning is None
    assert loaded == settings
    assert loaded.hotkeys["stop"] == ""  # turned off, not reset to the default


def test_none_values_are_left_out_and_come_back_as_none(path: Path) -> None:
    save_settings(Settings(rate=None, voice=None), path)
    text = path.read_text(encoding="utf-8")
    assert "rate" not in text and "voice" not in text
    loaded, _ = load_settings(path)
    assert loaded.rate is None and loaded.voice is None


def test_partial_file_keeps_other_defaults_and_ignores_unknown_keys(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        'rate = 180\nfuture_option = "x"\n[hotkeys]\nask = "Ctrl + Alt + K"\nno-such-action = "ctrl+alt+z"\n'
        "[another_table]\nkey = 1\n",
        encoding="utf-8",
    )
    settings, warning = load_settings(path)
    assert warning is None
    assert settings.rate == 180
    assert settings.hotkeys["ask"] == "ctrl+alt+k"  # normalised
    assert settings.hotkeys["describe-screen"] == "ctrl+alt+d"
    assert "no-such-action" not in settings.hotkeys
    assert dataclasses.replace(settings, rate=None, hotkeys=dict(DEFAULT_HOTKEYS)) == Settings()


def test_wrong_types_and_values_fall_back_to_defaults_with_a_warning(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(
        'speech_enabled = "yes"\nrate = 1.5\nvolume = 3\nearcons = 1\ndetail = "verbose"\n'
        'model = 7\nlanguage = "fr"\nvoice = ""\n[hotkeys]\nask = 5\nstop = "ctrl+alt+nosuchkey"\n',
        encoding="utf-8",
    )
    settings, warning = load_settings(path)
    defaults = Settings()
    assert settings.speech_enabled is True
    assert settings.rate is None
    assert settings.volume == 1.0
    assert settings.earcons is True  # 1 is not a boolean
    assert settings.detail == "brief"
    assert settings.model == defaults.model
    assert settings.voice is None
    assert settings.language == "fr"  # good values are kept
    assert settings.hotkeys["ask"] == "ctrl+alt+a"
    assert settings.hotkeys["stop"] == "ctrl+alt+s"
    assert warning is not None
    for name in (
        "speech_enabled",
        "rate",
        "volume",
        "earcons",
        "detail",
        "model",
        "hotkeys.ask",
        "hotkeys.stop",
    ):
        assert name in warning
    assert "language" not in warning
    assert warning.count(".") >= 1 and "\n" not in warning
    assert path.exists()  # a readable file with bad values is not moved


def test_integer_volume_is_accepted_as_float(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("volume = 0\n", encoding="utf-8")
    settings, warning = load_settings(path)
    assert warning is None
    assert settings.volume == 0.0 and isinstance(settings.volume, float)


def test_hotkeys_that_are_not_a_table_are_reset(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text('hotkeys = "ctrl+alt+d"\n', encoding="utf-8")
    settings, warning = load_settings(path)
    assert settings.hotkeys == DEFAULT_HOTKEYS
    assert warning is not None and "hotkeys" in warning


@pytest.mark.parametrize(
    "content",
    [
        b"rate = = 3\n[hotkeys\n",
        b"\xff\xfe\x00 not text",
        b'volume = "open',
        b"rate = " + b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's recursion limit
        b"rate = " + b"{a = " * 100_000 + b"}" * 100_000,
        b"volume = " + b"9" * 5000,  # longer than Python converts: tomllib raises a bare ValueError
    ],
    ids=["syntax", "not-utf-8", "unterminated", "nested-arrays", "nested-tables", "huge-integer"],
)
def test_damaged_file_is_kept_aside(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    settings, warning = load_settings(path)
    assert settings == Settings()
    assert not path.exists()
    kept = list(path.parent.iterdir())
    assert len(kept) == 1
    assert re.fullmatch(r"settings\.broken-\d{8}-\d{6}\.toml", kept[0].name)
    assert kept[0].read_bytes() == content
    assert warning is not None
    assert kept[0].name in warning and "default" in warning
    assert warning.endswith(".") and warning.count(". ") == 0  # one sentence
    # The app then saves good settings in the usual place.
    save_settings(settings, path)
    assert load_settings(path) == (Settings(), None)


@pytest.mark.parametrize("name", ["volume", "rate", "free_model_after_minutes", "text_word_limit"])
def test_an_integer_of_hundreds_of_digits_falls_back_to_its_default(path: Path, name: str) -> None:
    # 400 nines are beyond any float: the volume once raised OverflowError out of load_settings.
    path.parent.mkdir(parents=True)
    path.write_text(f"{name} = {'9' * 400}\nrate = 200\n" if name != "rate" else f"rate = {'9' * 400}\n")
    settings, warning = load_settings(path)
    assert getattr(settings, name) == getattr(Settings(), name)
    assert warning is not None and name in warning and warning.count(". ") == 0


def test_a_byte_order_mark_is_read_past(path: Path) -> None:
    # Windows' Notepad used to start every UTF-8 file with one.
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbfrate = 200\n")
    assert load_settings(path) == (Settings(rate=200), None)
    assert path.exists()


def test_two_damaged_files_in_the_same_second_are_both_kept(path: Path) -> None:
    path.parent.mkdir(parents=True)
    for attempt in (b"one = [", b"two = ["):
        path.write_bytes(attempt)
        load_settings(path)
    kept = sorted(item.read_bytes() for item in path.parent.iterdir())
    assert kept == [b"one = [", b"two = ["]


def test_atomic_save_leaves_no_temporary_files_and_replaces_whole(path: Path) -> None:
    save_settings(Settings(rate=150), path)
    save_settings(Settings(rate=300), path)
    assert [item.name for item in path.parent.iterdir()] == ["settings.toml"]
    assert load_settings(path)[0].rate == 300


def test_failed_save_keeps_the_old_file_and_cleans_up(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(rate=150), path)

    def refuse(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SettingsError, match="could not be saved") as raised:
        save_settings(Settings(rate=300), path)
    assert "\n" not in str(raised.value)
    monkeypatch.undo()
    assert [item.name for item in path.parent.iterdir()] == ["settings.toml"]
    assert load_settings(path)[0].rate == 150


def test_save_into_a_file_where_a_folder_should_be(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(SettingsError):
        save_settings(Settings(), blocker / "settings.toml")


def test_settings_path_uses_env_or_user_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    assert settings_path() == tmp_path / "settings.toml"
    monkeypatch.delenv("ASSISTANT_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert settings_path() == tmp_path / "xdg" / "assistant" / "settings.toml"
    save_settings(Settings(rate=99), None)
    assert load_settings()[0].rate == 99


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("ctrl+alt+d", "ctrl+alt+d"),
        ("Alt+Ctrl+D", "ctrl+alt+d"),
        (" control + option + page-down ", "ctrl+alt+page_down"),
        ("cmd+shift+F5", "shift+super+f5"),
        ("win+escape", "super+esc"),
        ("ctrl+alt+/", "ctrl+alt+/"),
        ("f13", "f13"),
        ("pause", "pause"),
    ],
)
def test_parse_hotkey_normalises(text: str, normal: str) -> None:
    assert str(parse_hotkey(text)) == normal


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("ctrl+alt+", 'joined by "+"'),
        ("ctrl+alt+nosuchkey", '"nosuchkey" is not a key name'),
        ("hyper+d", '"hyper" is not a modifier'),
        ("ctrl+control+d", "twice"),
        ("ctrl+alt", "needs a key"),
        ("d", "typing"),
        ("shift+d", "typing"),
        ("ctrl+alt+d+e", "not a modifier"),
    ],
)
def test_parse_hotkey_rejects_with_a_sentence(text: str, fragment: str) -> None:
    with pytest.raises(HotkeyError) as raised:
        parse_hotkey(text)
    message = str(raised.value)
    assert fragment in message
    assert message.endswith(".") and "\n" not in message


def test_config_imports_no_qt() -> None:
    code = "import sys, assistant.config; print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pynput'))))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
