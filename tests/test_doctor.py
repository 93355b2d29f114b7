"""`assistant doctor`: what it says about the settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ASSISTANT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("ASSISTANT_STT_MODEL", raising=False)
    return tmp_path


def test_a_settings_file_nested_too_deep_is_moved_aside_and_said(config_dir: Path, capsys) -> None:
    (config_dir / "settings.toml").write_text("rate = " + "[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    (kept,) = config_dir.glob("settings.broken-*.toml")
    assert (
        f"Settings:\n  Problem: The settings file was damaged, so it was kept as {kept} "
        "and the default settings are used.\n"
    ) in out
    assert "Reinstall" not in out and "RecursionError" not in out
    assert "Speech-to-text model: tiny.en (faster-whisper)" in out


def test_the_settings_file_doctor_read(config_dir: Path, capsys) -> None:
    (config_dir / "settings.toml").write_text('stt_model = "base.en"\n', encoding="utf-8")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"Settings:\n  Read from {config_dir / 'settings.toml'}.\n" in out
    assert "Speech-to-text model: base.en (faster-whisper)" in out


def test_no_settings_file_yet(config_dir: Path, capsys) -> None:
    assert main(["doctor"]) == 0
    assert (
        f"None saved yet, so the defaults are used; changing one creates {config_dir / 'settings.toml'}."
        in capsys.readouterr().out
    )


def test_a_damaged_model_is_named_with_what_to_do(config_dir: Path, tmp_path: Path, capsys) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    (model / "model.safetensors").write_bytes(b"\x02\x00\x00\x00\x00\x00\x00\x00{}" + b"\x00" * 10)
    assert main(["doctor", "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert (
        f"  Model {model}: problem. The model in {model} is damaged (model.safetensors is incomplete or "
        "unreadable); copy its files there again, or use a downloaded model (see: assistant models).\n"
    ) in out
    assert "Reinstall" not in out


def test_doctor_gives_the_accessibility_bus_more_than_the_apps_one_second(monkeypatch) -> None:
    """On a busy machine the bus took over a second to say a screen reader runs, and doctor said none did
    beside one that did (the app's own one-second wait keeps a silent bus from holding up speech)."""
    from assistant.cli import doctor
    from assistant.config import Settings
    from assistant.speech import screen_reader, screen_reader_routes

    asked: list[float] = []

    def slow_bus(timeout: float = screen_reader_routes.BUS_TIMEOUT) -> bool:
        asked.append(timeout)
        return timeout > 1.5  # the answer comes after 1.5 s

    reached: list[str] = []

    def connect(name: str, reader: str) -> screen_reader.Route:
        reached.append(name)
        raise screen_reader.ScreenReaderLost("not in this test")

    real = screen_reader.Lookout

    def lookout(**given: object) -> screen_reader.Lookout:  # this machine's Orca and routes left out
        return real(**{"platform": "linux", "orca": lambda: False, "connect": connect, **given})  # type: ignore[arg-type]

    monkeypatch.setattr(screen_reader_routes, "a11y_says_screen_reader_runs", slow_bus)
    monkeypatch.setattr(screen_reader, "Lookout", lookout)
    lines = doctor.check_screen_reader(Settings())
    assert asked == [doctor.DOCTOR_BUS_TIMEOUT]
    assert screen_reader_routes.SPEECH_DISPATCHER in reached  # the bus said yes: speech-dispatcher was tried
    assert any("not in this test" in line for line in lines)
