"""The app's model thread builds the server engine the settings choose, with the local model behind it;
`assistant run --server URL --allow-remote-server` allows that server for the run."""

from __future__ import annotations

from PIL import Image

from assistant.config import Settings
from assistant.engine.server_fallback import ServerWithFallback
from assistant.ui.app import load_model, server_for
from assistant.ui.worker import ModelSpec


def test_the_settings_server_answers_with_the_local_model_behind_it(served, tiny_model_dir) -> None:
    choice = server_for(Settings(server=served))
    engine = load_model(ModelSpec(str(tiny_model_dir), "cpu", "fp32"), None, choice)
    assert isinstance(engine, ServerWithFallback) and engine.local is None
    engine.server.max_tokens["brief"] = 8
    assert engine.describe(Image.new("RGB", (64, 40), (30, 30, 200)))
    assert engine.local is None  # the server answered


def test_no_server_in_the_settings() -> None:
    assert server_for(Settings()) is None


def test_a_remote_server_allowed_for_this_run_only() -> None:
    settings = Settings(server="https://192.0.2.10:8443")
    assert server_for(settings) is not None and not server_for(settings).allow_remote
    allowed = server_for(settings, "https://192.0.2.10:8443/v1")
    assert allowed is not None and allowed.allow_remote
    other = server_for(settings, "https://192.0.2.99")
    assert other is not None and not other.allow_remote


def test_run_takes_the_server_options() -> None:
    from assistant.cli import build_parser

    args = build_parser().parse_args(["run", "--server", "http://localhost:8000", "--server-model", "m"])
    assert (args.server, args.server_model, args.allow_remote_server) == ("http://localhost:8000", "m", False)
