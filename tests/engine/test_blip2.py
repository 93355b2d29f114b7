"""The tiny random BLIP-2 through load_engine: the same from_pretrained path as real weights.

Its words are random; these tests check the pipeline (loading, precision, prompts, streaming, cancelling,
the feature cache, batching), not the wording.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import random
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from fixtures.engines import recorded_prompts
from PIL import Image

from assistant.engine import Cancelled, EngineError, Turn, load_engine
from assistant.engine.families.blip2.engine import Blip2Engine
from assistant.engine.images import ImageError, image_fingerprint
from assistant.engine.prompts import PromptTooLong, question_prompt, text_piece
from assistant.engine.quantized import quantize_int8_
from assistant.engine.runtime import GIB, GpuInfo, MachineInfo, Runtime
from assistant.engine.text import clean_output


def picture(seed: int, size: tuple[int, int] = (40, 30)) -> Image.Image:
    """A small image of random pixels: a different seed gives different content."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def assert_spoken_text(text: str) -> None:
    assert text.strip() == text and text
    assert text[0].isupper()
    assert text.endswith((".", "!", "?"))
    assert clean_output(text) == text
    assert "Question:" not in text and "Answer:" not in text


class VisionCalls:
    """Counts the vision encoder's forward passes with a forward hook."""

    def __init__(self, engine: Blip2Engine):
        self.count = 0
        self.handle = engine.model.vision_model.register_forward_hook(self._hook)

    def _hook(self, module, args, output) -> None:
        self.count += 1


@pytest.fixture
def vision_calls(tiny_engine):
    calls = VisionCalls(tiny_engine)
    yield calls
    calls.handle.remove()


@pytest.fixture(scope="module")
def tiny_t5_engine(tiny_t5_model_dir):
    return load_engine(str(tiny_t5_model_dir), device="cpu", precision="fp32")


# ---- loading and describing ---------------------------------------------------------------------------


def test_describe_gives_clean_text(tiny_engine) -> None:
    assert isinstance(tiny_engine, Blip2Engine)
    for detail in ("brief", "detailed"):
        assert_spoken_text(tiny_engine.describe(picture(1), detail))


def test_describing_is_deterministic(tiny_engine) -> None:
    assert tiny_engine.describe(picture(2)) == tiny_engine.describe(picture(2))


def test_summary_says_model_device_and_precision(tiny_engine, tiny_model_dir) -> None:
    assert tiny_engine.summary == f"{tiny_model_dir}, fp32 on the processor (CPU): requested"
    assert tiny_engine.runtime == Runtime("cpu", "fp32", "requested")


def test_loads_in_bf16(tiny_model_dir) -> None:
    engine = load_engine(str(tiny_model_dir), device="cpu", precision="bf16")
    assert engine.runtime.precision == "bf16"
    assert engine.model.vision_model.embeddings.patch_embedding.weight.dtype == torch.bfloat16
    assert engine.model.language_model.get_input_embeddings().weight.dtype == torch.bfloat16
    assert_spoken_text(engine.describe(picture(3)))


def test_int8_swaps_every_linear_layer_of_vision_and_language_model(tiny_model_dir, tiny_engine) -> None:
    from assistant.engine.quantized import Int8Linear

    engine = load_engine(str(tiny_model_dir), device="cpu", precision="int8")
    assert engine.runtime.precision == "int8"
    for part in ("vision_model", "language_model"):
        float_linears = [m for m in getattr(tiny_engine.model, part).modules() if type(m) is torch.nn.Linear]
        modules = list(getattr(engine.model, part).modules())
        assert not [m for m in modules if type(m) is torch.nn.Linear], part
        int8_linears = [m for m in modules if isinstance(m, Int8Linear)]
        assert len(int8_linears) == len(float_linears) > 0
        for layer in int8_linears:
            assert layer.weight.dtype == torch.int8
            assert layer.scales.shape == (layer.out_features,)
    # The Q-Former is small and stays in floating point.
    assert any(type(m) is torch.nn.Linear for m in engine.model.qformer.modules())
    assert_spoken_text(engine.describe(picture(4)))
    assert_spoken_text(engine.ask(picture(4), "What is on the table?"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a graphics card")
def test_auto_on_a_processor_is_int8(tiny_model_dir) -> None:
    from assistant.engine.quantized import Int8Linear

    engine = load_engine(str(tiny_model_dir))
    assert (engine.runtime.device, engine.runtime.precision) == ("cpu", "int8")
    assert any(isinstance(m, Int8Linear) for m in engine.model.language_model.modules())


def test_auto_on_a_processor_without_int8_kernels_is_bf16(tiny_model_dir, monkeypatch) -> None:
    from assistant.engine import loading

    monkeypatch.setattr(
        loading, "query_machine", lambda: MachineInfo(gpu=None, bitsandbytes=False, cpu_int8=False)
    )
    engine = load_engine(str(tiny_model_dir))
    assert engine.runtime == Runtime(
        "cpu", "bf16", "no CUDA graphics card; PyTorch has no int8 kernels for this processor"
    )
    assert engine.model.language_model.get_input_embeddings().weight.dtype == torch.bfloat16


def test_t5_variant(tiny_t5_engine) -> None:
    assert not tiny_t5_engine.decoder_only
    assert_spoken_text(tiny_t5_engine.describe(picture(5)))
    assert_spoken_text(
        tiny_t5_engine.ask(picture(5), "What colour is the car?", [Turn("Is there a car?", "Yes.")])
    )
    streamed: list[str] = []
    text = tiny_t5_engine.describe(picture(6), on_text=streamed.append)
    assert streamed and streamed[-1] == text


@pytest.fixture
def model_copy(tmp_path, tiny_model_dir):
    import shutil

    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model-copy"))


def test_damaged_weights_are_one_sentence(model_copy) -> None:
    (model_copy / "model.safetensors").write_bytes(b"not safetensors at all")
    with pytest.raises(EngineError) as caught:
        load_engine(str(model_copy), device="cpu", precision="fp32")
    assert str(caught.value) == (
        f"The model in {model_copy} is damaged (model.safetensors is incomplete or unreadable); "
        "copy its files there again, or use a downloaded model (see: assistant models)."
    )


def test_a_damaged_configuration_is_one_sentence(model_copy) -> None:
    (model_copy / "config.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(EngineError) as caught:
        load_engine(str(model_copy), device="cpu", precision="fp32")
    message = str(caught.value)
    assert message.startswith(f"The model in {model_copy} could not be loaded (")
    assert message.endswith("). Download it again with: assistant models download")
    assert "\n" not in message


# ---- streaming and cancelling -------------------------------------------------------------------------


@pytest.mark.parametrize("detail", ["brief", "detailed"])
def test_streamed_text_grows_and_ends_as_the_result(tiny_engine, detail) -> None:
    streamed: list[str] = []
    text = tiny_engine.describe(picture(10), detail, on_text=streamed.append)
    assert len(streamed) >= 3
    for before, after in itertools.pairwise(streamed):
        assert after.startswith(before) and len(after) > len(before)
    assert streamed[-1] == text
    assert tiny_engine.describe(picture(10), detail) == text


def test_streamed_answer(tiny_engine) -> None:
    streamed: list[str] = []
    answer = tiny_engine.ask(picture(11), "What does the text say?", on_text=streamed.append)
    assert streamed and streamed[-1] == answer
    assert all(after.startswith(before) for before, after in itertools.pairwise(streamed))


def test_cancel_from_the_callback_stops_generation(tiny_engine) -> None:
    full = tiny_engine.describe(picture(12), "detailed")
    cancel = threading.Event()
    streamed: list[str] = []

    def on_text(text: str) -> None:
        streamed.append(text)
        if len(text.split()) >= 2:
            cancel.set()

    with pytest.raises(Cancelled) as caught:
        tiny_engine.describe(picture(12), "detailed", on_text=on_text, cancel=cancel)
    assert str(caught.value) == "Stopped."
    assert streamed and len(streamed[-1]) < len(full)
    assert len(streamed) <= 2  # generation stopped right after the callback that cancelled


def test_cancel_already_set(tiny_engine, vision_calls) -> None:
    cancel = threading.Event()
    cancel.set()
    streamed: list[str] = []
    with pytest.raises(Cancelled):
        tiny_engine.describe(picture(13), on_text=streamed.append, cancel=cancel)
    with pytest.raises(Cancelled):
        tiny_engine.ask(picture(13), "Why?", on_text=streamed.append, cancel=cancel)
    assert streamed == []
    assert vision_calls.count == 0


def test_an_unset_cancel_changes_nothing(tiny_engine) -> None:
    assert tiny_engine.describe(picture(14), cancel=threading.Event()) == tiny_engine.describe(picture(14))


def test_empty_question_is_refused(tiny_engine) -> None:
    with pytest.raises(EngineError, match="The question is empty"):
        tiny_engine.ask(picture(15), "  \n ")


# ---- the feature cache --------------------------------------------------------------------------------


def test_follow_up_questions_reuse_the_image_features(tiny_engine, vision_calls) -> None:
    image = picture(20)
    tiny_engine.describe(image)
    assert vision_calls.count == 1
    first = tiny_engine.ask(image, "What colour is the car?")
    tiny_engine.ask(image.copy(), "Where is it parked?", [Turn("What colour is the car?", first)])
    assert vision_calls.count == 1
    tiny_engine.describe(picture(21))
    assert vision_calls.count == 2
    tiny_engine.ask(image, "Is it day or night?")
    assert vision_calls.count == 2


def test_cached_and_fresh_answers_are_equal(tiny_engine, vision_calls) -> None:
    image = picture(22, (50, 20))
    cached_run = [tiny_engine.describe(image), tiny_engine.ask(image, "Who is in the photo?")]
    assert vision_calls.count == 1
    tiny_engine.clear_feature_cache()
    fresh = tiny_engine.ask(image, "Who is in the photo?")
    assert vision_calls.count == 2
    assert fresh == cached_run[1]


@contextlib.contextmanager
def lengths_read(engine) -> Iterator[list[int]]:
    """The number of positions the language model reads at each of its passes in the block (its input is
    ids or embeddings)."""
    lengths: list[int] = []

    def record(module, args, kwargs) -> None:
        inputs = kwargs["inputs_embeds"] if kwargs.get("inputs_embeds") is not None else kwargs["input_ids"]
        lengths.append(inputs.shape[1])

    hook = engine.model.language_model.register_forward_pre_hook(record, with_kwargs=True)
    try:
        yield lengths
    finally:
        hook.remove()


def test_the_image_tokens_are_read_once_and_answers_do_not_change(tiny_engine) -> None:
    """The language model's cache of the image tokens is reused by follow-ups and trimmed after each."""
    engine = tiny_engine
    image = picture(23, (40, 30))
    features = engine.features_for(image)
    question_ids = engine.prompt_inputs("Question: What does the title say? Answer:", 1)
    without_prefix = engine.generate_ids(features, question_ids, 12)
    with lengths_read(engine) as lengths:
        key = image_fingerprint(image)
        first = engine.generate_ids(features, question_ids, 12, image_key=key)
        assert torch.equal(first, without_prefix)
        assert lengths[0] == question_ids.shape[1]  # the image tokens and the question, in one pass
        prefix = engine._prefixes[key]
        assert prefix.get_seq_length() == engine.num_query_tokens
        for _ in range(2):
            lengths.clear()
            again = engine.generate_ids(features, question_ids, 12, image_key=key)
            assert torch.equal(again, without_prefix)
            # Only the question's own tokens were read, then one token at a time.
            assert lengths[0] == question_ids.shape[1] - engine.num_query_tokens
            assert engine._prefixes[key] is prefix
            assert prefix.get_seq_length() == engine.num_query_tokens


def test_the_text_on_the_image_is_read_once_for_all_its_questions(tiny_engine) -> None:
    """The language model's reading of the text on the image is kept with the image tokens'."""
    engine = tiny_engine
    image = picture(28)
    key = image_fingerprint(image)
    lines = ["Error - Editor", "The file could not be saved", "because the disk is full"]
    text_tokens = engine.count_prompt_tokens(text_piece(lines))
    with lengths_read(engine) as lengths:
        first = engine.ask(image, "What does the error say?", text_on_image=lines)
        assert engine._prefixes[key].get_seq_length() == engine.num_query_tokens + text_tokens
        history = [Turn("What does the error say?", first)]
        lengths.clear()
        second = engine.ask(image, "What should I do?", history, text_on_image=lines)
        whole = engine.count_prompt_tokens(question_prompt("What should I do?", history, text_on_image=lines))
        assert lengths[0] == whole - text_tokens  # only the conversation and the question were read
        assert engine._prefixes[key].get_seq_length() == engine.num_query_tokens + text_tokens
        # A prompt that opens otherwise cuts the kept reading back to the image tokens.
        described = engine.describe(image)
        assert engine._prefixes[key].get_seq_length() == engine.num_query_tokens
        other = engine.ask(image, "What should I do?", history, text_on_image=["Disk full"])
    engine.clear_feature_cache()  # the same answers from an engine that kept nothing
    assert engine.ask(image, "What should I do?", history, text_on_image=lines) == second
    engine.clear_feature_cache()
    assert engine.describe(image) == described
    engine.clear_feature_cache()
    assert engine.ask(image, "What should I do?", history, text_on_image=["Disk full"]) == other


def test_a_text_cut_elsewhere_for_a_longer_question_is_read_only_past_what_it_shares(tiny_engine) -> None:
    engine = tiny_engine
    image = picture(29)
    lines = [f"Row {n}: the quarterly report shows revenue growth" for n in range(500)]
    engine.ask(image, "What is in row 1?", text_on_image=lines)
    longer = "What is in row 1, and what is in the row after it?"
    with lengths_read(engine) as lengths:
        answer = engine.ask(image, longer, text_on_image=lines)
    whole = engine.count_prompt_tokens(
        question_prompt(
            longer, budget=engine.prompt_budget(engine.max_new_tokens["answer"]), text_on_image=lines
        )
    )
    assert whole > 300
    assert lengths[0] < 40  # the last words of the text that did not fit again, and the question
    engine.clear_feature_cache()
    assert engine.ask(image, longer, text_on_image=lines) == answer  # as from an engine that kept nothing


def test_history_goes_into_the_prompt(tiny_engine, monkeypatch) -> None:
    prompts = recorded_prompts(tiny_engine, monkeypatch)
    history = [Turn("What is on the table?", "A bowl of fruit.")]
    tiny_engine.ask(picture(23), "What colour is the bowl?")
    tiny_engine.ask(picture(23), "What colour is the bowl?", history)
    assert prompts == [
        "Question: What colour is the bowl? Answer:",
        "Question: What is on the table? Answer: A bowl of fruit. Question: What colour is the bowl? Answer:",
    ]
    assert prompts[1] == question_prompt("What colour is the bowl?", history)


def test_a_question_longer_than_the_context_is_one_sentence(tiny_engine) -> None:
    with pytest.raises(PromptTooLong) as refused:
        tiny_engine.ask(picture(24), "What does it say? " * 6000)  # 100 kB
    message = str(refused.value)
    assert message.startswith("The question is too long for this model; shorten it to about ")
    assert message.endswith(" words.") and "\n" not in message


def test_a_long_turn_and_the_ones_before_it_are_left_out(tiny_engine, monkeypatch) -> None:
    prompts = recorded_prompts(tiny_engine, monkeypatch)
    history = [
        Turn("What is on the table?", "A bowl of fruit."),
        Turn("What does the text say?", "welcome to the meeting " * 4000),  # 20 kB
        Turn("Is it day or night?", "Day."),
    ]
    assert_spoken_text(tiny_engine.ask(picture(25), "Who is in the photo?", history))
    assert prompts == ["Question: Is it day or night? Answer: Day. Question: Who is in the photo? Answer:"]


@pytest.mark.slow
def test_a_question_about_words_on_the_picture_is_asked_with_the_text_read_on_it(
    tiny_engine, monkeypatch
) -> None:
    from assistant.bench.samples import error_message
    from assistant.ocr import read_text

    image = error_message().image
    lines = read_text(image).lines
    assert lines == list(error_message().lines)
    prompts = recorded_prompts(tiny_engine, monkeypatch)
    answer = tiny_engine.ask(image, "What does the error say?", text_on_image=lines)
    assert_spoken_text(answer)
    [prompt] = prompts
    assert prompt == question_prompt("What does the error say?", text_on_image=lines)
    assert prompt.startswith("Text on the image: Error - Editor. The file could not be saved.")
    assert "the disk is full" in prompt
    assert prompt.endswith(" Question: What does the error say? Answer:")


@pytest.mark.parametrize("engine_fixture", ["tiny_engine", "tiny_t5_engine"])
def test_a_huge_text_is_cut_to_the_context_and_the_question_kept(
    engine_fixture, request, monkeypatch
) -> None:
    engine = request.getfixturevalue(engine_fixture)
    prompts = recorded_prompts(engine, monkeypatch)
    max_new_tokens = engine.max_new_tokens["answer"]
    # The answer takes all its room, so a prompt one token too long for it would run past the context.
    monkeypatch.setitem(engine.generation_options, "min_new_tokens", max_new_tokens)
    lines = [f"Row {n}: the quarterly report shows revenue growth" for n in range(2000)]  # 16,000 words
    history = [Turn("What is it?", "A spreadsheet.")]
    assert engine.ask(picture(27), "What is in row 1?", history, text_on_image=lines)
    [prompt] = prompts
    assert prompt.startswith("Text on the image: Row 0: the quarterly report shows revenue growth. Row 1:")
    assert prompt.endswith(" … Question: What is in row 1? Answer:")
    assert "A spreadsheet" not in prompt  # the earlier turn gave way to the text
    budget = engine.prompt_budget(max_new_tokens)
    assert budget.tokens - 8 < budget.count(prompt) <= budget.tokens  # cut at a word, the room used


@pytest.mark.parametrize("engine_fixture", ["tiny_engine", "tiny_t5_engine"])
def test_the_longest_question_that_fits_is_answered_in_full(engine_fixture, request, monkeypatch) -> None:
    engine = request.getfixturevalue(engine_fixture)
    assert engine.context_tokens == 512  # OPT's learned positions; T5's training length
    max_new_tokens = engine.max_new_tokens["answer"]
    # The answer takes all its room, so a prompt one token too long for it would run past the context.
    monkeypatch.setitem(engine.generation_options, "min_new_tokens", max_new_tokens)
    budget = engine.prompt_budget(max_new_tokens)
    words = 1
    while budget.fits(question_prompt("cat " * (words + 1))):
        words += 1
    assert budget.count(question_prompt("cat " * words)) == budget.tokens
    assert engine.ask(picture(26), "cat " * words)
    with pytest.raises(PromptTooLong):
        engine.ask(picture(26), "cat " * (words + 1))


# ---- batches ------------------------------------------------------------------------------------------

SIZES = [(40, 30), (64, 48), (33, 33), (100, 20), (24, 60)]


@pytest.fixture(scope="module")
def five_images():
    return [picture(30 + n, size) for n, size in enumerate(SIZES)]


@pytest.fixture(scope="module")
def one_by_one(tiny_engine, five_images):
    return [tiny_engine.describe(image) for image in five_images]


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_batched_results_equal_one_by_one(tiny_engine, five_images, one_by_one, batch_size) -> None:
    assert len(set(one_by_one)) == len(five_images)  # different pictures, different texts: order is checked
    assert tiny_engine.describe_many(five_images, batch_size=batch_size) == one_by_one


def test_batched_detailed_descriptions(tiny_engine, five_images) -> None:
    images = five_images[:3]
    singles = [tiny_engine.describe(image, "detailed") for image in images]
    assert tiny_engine.describe_many(images, "detailed", batch_size=3) == singles


def test_batched_t5(tiny_t5_engine, five_images) -> None:
    singles = [tiny_t5_engine.describe(image) for image in five_images[:3]]
    assert tiny_t5_engine.describe_many(five_images[:3], batch_size=2) == singles


def test_describe_many_of_nothing(tiny_engine) -> None:
    assert tiny_engine.describe_many([]) == []


# ---- odd and broken images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGBA", (30, 20), (255, 0, 0, 60)),
        Image.new("LA", (20, 20), (80, 200)),
        Image.new("P", (20, 20), 3),
        Image.new("I;16", (20, 20), 40000),
        Image.new("CMYK", (20, 20), (0, 255, 255, 0)),
        Image.new("RGB", (1, 1), (0, 0, 255)),
        Image.new("RGB", (3, 500), (9, 9, 9)),
    ],
    ids=["rgba", "la", "p", "16-bit", "cmyk", "1x1", "thin"],
)
def test_odd_images_are_described(tiny_engine, image) -> None:
    assert_spoken_text(tiny_engine.describe(image))
    assert_spoken_text(tiny_engine.ask(image, "What is it?"))


@pytest.fixture
def truncated_png(tmp_path):
    """A PNG file cut in half: Pillow opens it lazily, and fails only when it reads the pixels."""
    buffer = io.BytesIO()
    picture(50, (64, 64)).save(buffer, "PNG")
    path = tmp_path / "holiday.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


def test_a_truncated_image_is_a_friendly_error(tiny_engine, truncated_png) -> None:
    with pytest.raises(ImageError) as caught:
        tiny_engine.describe(Image.open(truncated_png))
    message = str(caught.value)
    assert "holiday.png" in message and "\n" not in message
    assert isinstance(caught.value, EngineError)
    # Nothing else is affected.
    assert_spoken_text(tiny_engine.describe(picture(51)))


def test_a_broken_image_in_a_batch_is_refused_before_any_work(
    tiny_engine, truncated_png, vision_calls
) -> None:
    with pytest.raises(ImageError, match=r"holiday\.png"):
        tiny_engine.describe_many([picture(52), Image.open(truncated_png)])
    assert vision_calls.count == 0


# ---- running out of graphics memory -------------------------------------------------------------------

BIG_GPU = MachineInfo(gpu=GpuInfo("Fake GPU", 24 * GIB, 20 * GIB, True), bitsandbytes=False, cpu_int8=True)


def test_out_of_memory_while_loading_falls_back_and_says_so(tiny_model_dir, monkeypatch) -> None:
    from assistant.engine import loading
    from assistant.engine.families.blip2 import engine as blip2

    tried: list[Runtime] = []
    real_load_model = blip2.load_model

    def load_model(folder, runtime, *args):
        tried.append(runtime)
        if runtime.device == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return real_load_model(folder, runtime, *args)

    monkeypatch.setattr(loading, "query_machine", lambda: BIG_GPU)
    monkeypatch.setattr(blip2, "load_model", load_model)
    engine = load_engine(str(tiny_model_dir))
    assert [(r.device, r.precision) for r in tried] == [("cuda", "bf16"), ("cpu", "int8")]
    assert engine.runtime.device == "cpu" and engine.runtime.precision == "int8"
    assert engine.notices == ["The graphics card ran out of memory; using int8 on cpu."]
    assert_spoken_text(engine.describe(picture(60)))


def test_out_of_memory_while_generating_falls_back_and_keeps_working(tiny_model_dir, monkeypatch) -> None:
    monkeypatch.setattr("assistant.engine.int8.packing_pays", lambda: True)  # a processor where packing pays
    engine = load_engine(str(tiny_model_dir), device="cpu", precision="fp32")
    # As if it had been loaded on a graphics card that then ran out of memory.
    engine._machine = BIG_GPU
    engine.runtime = Runtime("cuda", "bf16", "fits")
    heard: list[str] = []
    engine.on_notice = heard.append
    real_generate = engine.generate_ids
    failures = [torch.cuda.OutOfMemoryError("CUDA out of memory.")]

    def generate_ids(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(engine, "generate_ids", generate_ids)
    text = engine.describe(picture(61))
    assert_spoken_text(text)
    assert engine.runtime.device == "cpu" and engine.runtime.precision == "int8"
    while engine.prepare_more():  # its idle work, as after a start
        pass
    assert any(getattr(m, "packed", None) is not None for m in engine.model.modules())
    assert heard == ["The graphics card ran out of memory, so the model now runs in int8 on the processor."]
    assert engine.notices == heard


@pytest.mark.slow
def test_int8_quantization_lets_go_of_each_float_layer_at_once(tiny_model_dir, monkeypatch) -> None:
    """Layer by layer means one float copy at a time: on a 16 GB laptop, holding every float layer until
    the end (14 GB for OPT-2.7b) would not fit."""
    from transformers import Blip2ForConditionalGeneration

    from assistant.engine import int8

    model = Blip2ForConditionalGeneration.from_pretrained(tiny_model_dir, dtype=torch.bfloat16)
    seen: list[weakref.ref] = []
    still_alive: list[int] = []
    quantize_linear = int8.quantize_linear

    def watched(layer, *args):
        gc.collect()
        still_alive.append(sum(ref() is not None for ref in seen))
        seen.append(weakref.ref(layer))
        return quantize_linear(layer, *args)

    monkeypatch.setattr(int8, "quantize_linear", watched)
    quantize_int8_(model)
    assert len(seen) > 10
    assert max(still_alive) == 0  # every float layer already quantized was gone when the next one began


def test_a_picture_normalised_as_it_came_in_is_not_normalised_again(
    tiny_engine, tmp_path, monkeypatch
) -> None:
    from assistant import capture
    from assistant.engine import images

    normalised = []
    real = images._normalize_opened
    monkeypatch.setattr(images, "_normalize_opened", lambda *args: normalised.append(1) or real(*args))
    path = tmp_path / "photo.png"
    Image.new("RGBA", (40, 30), (0, 0, 255, 128)).save(path)
    picture = capture.open_image_file(path)
    tiny_engine.describe(picture)
    tiny_engine.describe_many([picture, picture])
    assert len(normalised) == 1  # on the way in, not again by the engine
    tiny_engine.describe(Image.new("RGBA", (40, 30), (0, 0, 255, 128)))
    assert len(normalised) == 2  # an image that did not come through capture is still normalised
