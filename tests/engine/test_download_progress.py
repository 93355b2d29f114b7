"""Download progress in words, for the tray tooltip and speech (no network: bytes are written by hand)."""

from __future__ import annotations

import time

import huggingface_hub.constants

from assistant.engine.models import DownloadWatcher


def test_watcher_reports_bytes_arriving_in_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    messages: list[str] = []
    watcher = DownloadWatcher("Salesforce/blip2-opt-2.7b", messages.append, interval=0.05)
    blobs = tmp_path / "models--Salesforce--blip2-opt-2.7b" / "blobs"
    with watcher:
        blobs.mkdir(parents=True)
        with open(blobs / "abc.incomplete", "wb") as handle:
            handle.truncate(300 * 1024**2)  # sparse: no real disk use
        deadline = time.monotonic() + 10
        while "Downloading the model: 300 MB so far" not in messages:
            assert time.monotonic() < deadline, messages
            time.sleep(0.05)
    assert all(m.startswith("Downloading the model: ") for m in messages)
    # Messages are sent only when they change.
    assert len(messages) == len(set(messages))
    assert not watcher._thread.is_alive()


def test_watcher_gives_a_percentage_when_the_total_is_known(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(DownloadWatcher, "_total", lambda self: 4 * 1024**3)
    messages: list[str] = []
    blobs = tmp_path / "models--owner--model" / "blobs"
    blobs.mkdir(parents=True)
    with DownloadWatcher("owner/model", messages.append, interval=0.05):
        with open(blobs / "weights.incomplete", "wb") as handle:
            handle.truncate(1024**3)  # a quarter of the total, sparse
        deadline = time.monotonic() + 10
        while "Downloading the model: 25% of 4.0 GB" not in messages:
            assert time.monotonic() < deadline, messages
            time.sleep(0.05)
    assert all(m.endswith("% of 4.0 GB") for m in messages)
