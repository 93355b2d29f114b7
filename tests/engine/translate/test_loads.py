"""Why two models must not load at once, and that translation models never do: transformers'
from_pretrained swaps PreTrainedModel.tie_weights out for the process while it loads and puts back what
it found, so two loads that overlap leave it a no-op, and a model loaded after runs with its tied output
layer on the "meta" device. A model that only runs beside a load is not touched."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, MarianMTModel, PreTrainedModel

from assistant.engine.loading import load_weights
from assistant.engine.models import LOADING
from assistant.engine.runtime import Runtime
from assistant.engine.translator import Translator

HANG_GUARD = 60  # seconds; only against a hang, never a measurement
NOT_ENTERED = 3  # seconds a load is given to get inside another's; a bound, not a measurement


def run(folder: Path, model: Any) -> torch.Tensor:
    batch = AutoTokenizer.from_pretrained(folder)(["A cat sits on a couch."], return_tensors="pt")
    with torch.inference_mode():
        return model.generate(**batch, max_new_tokens=4)


@dataclass
class Held:
    """Each MarianMTModel built inside from_pretrained on a thread named in `gates` waits for its gate,
    while tie_weights is swapped out; `order` says which thread got in and out."""

    gates: dict[str, threading.Event] = field(default_factory=dict)
    entered: dict[str, threading.Event] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def thread(
        self, name: str, target: Callable[..., Any], *args: Any, gated: bool = True
    ) -> threading.Thread:
        self.entered[name] = threading.Event()
        if gated:
            self.gates[name] = threading.Event()
        return threading.Thread(target=target, args=args, name=name, daemon=True)


def hold_construction(monkeypatch: pytest.MonkeyPatch) -> Held:
    held = Held()
    real_init: Callable[..., None] = MarianMTModel.__init__

    def held_init(self: MarianMTModel, *args: Any, **kwargs: Any) -> None:
        name = threading.current_thread().name
        held.order.append(f"in {name}")
        if name in held.entered:
            held.entered[name].set()
        if name in held.gates:
            assert held.gates[name].wait(HANG_GUARD)
        real_init(self, *args, **kwargs)
        held.order.append(f"out {name}")

    monkeypatch.setattr(MarianMTModel, "__init__", held_init)
    # Put back whatever a broken load leaves, for the tests after this one.
    monkeypatch.setattr(PreTrainedModel, "tie_weights", PreTrainedModel.tie_weights)
    return held


def test_two_overlapping_loads_break_every_model_loaded_after(
    marian_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_construction(monkeypatch)
    gates, entered = held.gates, held.entered
    loads = [
        held.thread(name, AutoModelForSeq2SeqLM.from_pretrained, marian_dir) for name in ("first", "second")
    ]
    loads[0].start()
    assert entered["first"].wait(HANG_GUARD)
    loads[1].start()
    assert entered["second"].wait(HANG_GUARD)  # both inside from_pretrained
    gates["first"].set()
    loads[0].join(HANG_GUARD)
    gates["second"].set()  # the second ends last, and puts back the no-op it found
    loads[1].join(HANG_GUARD)
    assert held.order == ["in first", "in second", "out first", "out second"]
    after = AutoModelForSeq2SeqLM.from_pretrained(marian_dir).eval()
    with pytest.raises(RuntimeError, match="meta"):
        run(marian_dir, after)


def test_translation_models_never_load_at_once(marian_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = hold_construction(monkeypatch)
    translators = [Translator(str(marian_dir)), Translator(str(marian_dir))]
    loads = [
        held.thread("first", translators[0].load),
        held.thread("second", translators[1].load, gated=False),
    ]
    gates, entered = held.gates, held.entered
    loads[0].start()
    assert entered["first"].wait(HANG_GUARD)
    loads[1].start()
    # Without the lock the second gets inside the first's load at once.
    assert not entered["second"].wait(NOT_ENTERED)
    gates["first"].set()
    for load in loads:
        load.join(HANG_GUARD)
    assert held.order == ["in first", "out first", "in second", "out second"]
    assert all(translator.translate(["A cat sits on a couch."])[0] for translator in translators)
    run(marian_dir, AutoModelForSeq2SeqLM.from_pretrained(marian_dir).eval())  # tie_weights put back


def test_a_model_running_beside_a_load_is_not_touched(
    marian_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = hold_construction(monkeypatch)
    running = AutoModelForSeq2SeqLM.from_pretrained(marian_dir).eval()
    expected = run(marian_dir, running)
    load = held.thread("loading", AutoModelForSeq2SeqLM.from_pretrained, marian_dir)
    load.start()
    try:
        assert held.entered["loading"].wait(HANG_GUARD)  # inside from_pretrained, torch patched
        assert torch.equal(run(marian_dir, running), expected)
    finally:
        held.gates["loading"].set()
        load.join(HANG_GUARD)


def test_a_captioner_load_waits_for_a_translation_models_load(
    marian_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Settings change loads a new captioner while the old engine's warm-up may still load.
    held = hold_construction(monkeypatch)
    loaded: list[PreTrainedModel] = []
    runtime = Runtime(device="cpu", precision="fp32", reason="the test's")
    load = held.thread(
        "captioner", lambda: loaded.append(load_weights(marian_dir, MarianMTModel, runtime)), gated=False
    )
    with LOADING:  # as a translation model's load holds it
        load.start()
        assert not held.entered["captioner"].wait(NOT_ENTERED)
    load.join(HANG_GUARD)
    assert held.order == ["in captioner", "out captioner"] and len(loaded) == 1
