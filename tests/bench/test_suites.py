"""The suites' one register: every suite there is a module with the suite's interface, the command
runs each in its scope's turn and prints its targets, and the CLI finds the command as a plug-in."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any, get_args

import pytest

from assistant.bench import command, loading
from assistant.bench.suites import SUITES, Bench, Scope, Target, load, target
from assistant.cli import PLUGIN_GROUP, build_parser, main, plugin_commands


@pytest.mark.parametrize("name", list(SUITES))
def test_every_registered_suite_has_the_suite_interface(name: str) -> None:
    suite = load(name)
    assert suite.SCOPE in get_args(Scope)
    assert isinstance(suite.KEY, str) and suite.KEY
    assert callable(suite.run) and callable(suite.targets)


def test_the_bench_command_is_a_plug_in_of_the_command_line() -> None:
    assert PLUGIN_GROUP == "assistant.commands"
    assert command.register in plugin_commands()
    help_text = build_parser().format_help()
    assert "bench" in help_text


def fake_suite(name: str, scope: str, calls: list[str]) -> types.SimpleNamespace:
    def run(bench: Bench) -> dict[str, Any]:
        engine = bench.engine.runtime.precision if bench.engine is not None else "-"
        calls.append(f"{name} {bench.precision or '-'} {engine}")
        return {"seconds": 0.5}

    def targets(figures: Any, bench: Bench) -> Iterator[Target]:
        yield target(f"[{name}] seconds", 0.5, 1.0, "within a second")
        yield target(f"[{name}] words", 0.5, 0.9, "nine words in ten", at_least=True)

    return types.SimpleNamespace(SCOPE=scope, KEY=name, run=run, targets=targets)


def test_each_suite_runs_in_its_scope_turn_and_prints_its_targets(monkeypatch, capsys) -> None:
    calls: list[str] = []
    scopes = {"late": "once", "early": "before models", "app-like": "each precision", "timed": "each engine"}
    monkeypatch.setattr(command, "SUITES", dict.fromkeys(scopes, "unused"))
    monkeypatch.setattr(command, "load", lambda name: fake_suite(name, scopes[name], calls))

    def engine_for(args: object, precision: str) -> types.SimpleNamespace:
        calls.append(f"load {precision}")
        return types.SimpleNamespace(runtime=types.SimpleNamespace(precision=precision), summary=precision)

    monkeypatch.setattr(loading, "engine_for", engine_for)
    argv = ["bench", "--suite", "late,early,timed,app-like", "--compare", "fp32,bf16", "--device", "cpu"]
    assert main(argv) == 0
    assert calls == [
        "early - -",
        "app-like fp32 -",
        "load fp32",
        "timed fp32 fp32",
        "app-like bf16 -",
        "load bf16",
        "timed bf16 bf16",
        "late - -",
    ]
    printed = capsys.readouterr().out
    assert printed.index("[late] seconds") < printed.index("[early] seconds")  # in the register's order
    assert "[timed] seconds = 0.500 (limit 1.0): met — within a second" in printed
    assert "[timed] words = 0.500 (limit 0.9): MISSED — nine words in ten" in printed
