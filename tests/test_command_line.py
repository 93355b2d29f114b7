"""The command line's shape: one parser built from assistant/cli/, the same model options everywhere."""

from __future__ import annotations

import pytest

from assistant.cli import build_parser
from assistant.engine.runtime import DEVICES, PRECISIONS


def test_run_takes_the_model_options_of_the_other_commands() -> None:
    args = build_parser().parse_args(["run", "--model", "m", "--device", "cpu", "--precision", "int8"])
    assert (args.model, args.device, args.precision) == ("m", "cpu", "int8")


def test_run_leaves_what_is_not_given_to_the_settings() -> None:
    args = build_parser().parse_args(["run"])
    assert (args.model, args.device, args.precision) == (None, None, None)


@pytest.mark.parametrize("option", ["--device", "--precision"])
def test_run_refuses_an_unknown_choice(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", option, "gpu"])
    assert stopped.value.code == 2
    assert "invalid choice: 'gpu'" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["describe", "x.png"], ["ask", "x.png"], ["alt-text", "."], ["bench"]])
def test_every_model_command_offers_the_same_choices(command: list[str]) -> None:
    parser = build_parser()
    for device in DEVICES:
        for precision in PRECISIONS:
            args = parser.parse_args([*command, "--device", device, "--precision", precision])
            assert (args.device, args.precision) == (device, precision)


def test_building_every_command_imports_nothing_heavy() -> None:
    """`assistant --help` and `assistant trigger` stay instant: torch, Qt and the rest load in the command."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    heavy = {"PySide6", "torch", "transformers", "pynput", "faster_whisper", "rapidocr", "onnxruntime"}
    code = (
        "import sys; from assistant.cli import build_parser; build_parser(); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(heavy)!r})))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_run_speaks_with_what_is_asked_for_this_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["run"]).speak_with is None  # the settings decide
    for choice in ("screen-reader", "own-voice", "both"):
        assert build_parser().parse_args(["run", "--speak-with", choice]).speak_with == choice
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--speak-with", "braille"])
    assert "invalid choice: 'braille'" in capsys.readouterr().err


def test_a_command_of_the_product_does_not_look_for_plug_ins(
    tmp_path, monkeypatch, capsys, quiet_desktop
) -> None:
    """Finding plug-ins reads every installed package's metadata; `assistant trigger` runs on key presses."""
    import assistant.cli

    def no_lookup() -> list[object]:
        raise AssertionError("plug-ins looked for")

    monkeypatch.setenv("ASSISTANT_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setattr(assistant.cli, "plugin_commands", no_lookup)
    assert assistant.cli.main(["trigger", "stop"]) == 1
    assert "not running" in capsys.readouterr().err


def test_a_plug_in_command_is_found_through_its_entry_point(monkeypatch, capsys) -> None:
    import assistant.cli

    found: list[str] = []

    def register(subparsers) -> None:
        found.append("registered")
        subparsers.add_parser("hello", help="say hello").set_defaults(
            handler=lambda args: print("hello") or 0
        )

    monkeypatch.setattr(assistant.cli, "plugin_commands", lambda: [register])
    assert assistant.cli.main(["hello"]) == 0
    assert found == ["registered"] and capsys.readouterr().out == "hello\n"
    with pytest.raises(SystemExit):
        assistant.cli.main(["--help"])
    assert "hello" in capsys.readouterr().out
