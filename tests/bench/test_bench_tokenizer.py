"""The full-size checkpoints' tokenizers read the app's prompts about as a published tokenizer does."""

from __future__ import annotations

from assistant.bench.family_builders import train_byte_level_bpe
from assistant.bench.synthetic import bench_lines, train_tokenizer
from assistant.bench.synthetic_families import BENCH_WORDS
from assistant.engine import prompts
from assistant.engine.families.chat import ChatEngine


def test_each_word_of_a_chat_familys_prompt_is_one_token() -> None:
    # A prompt read as twice its tokens made every benchmarked first sentence slower than a real one.
    tokenizer = train_byte_level_bpe(["<|im_start|>"], "Assistant", BENCH_WORDS)
    for prompt in ChatEngine.describe_prompts.values():
        words = prompt.rstrip(".").split()
        assert len(tokenizer.encode(prompt).ids) == len(words) + 1  # the full stop
    assert tokenizer.encode("Assistant:").tokens == ["Assistant", ":"]


def test_blip2s_question_prompt_is_one_token_a_word() -> None:
    tokenizer = train_tokenizer(lines=bench_lines())
    ids = tokenizer(prompts.DETAILED_PROMPT, add_special_tokens=False).input_ids
    assert len(ids) == len(prompts.DETAILED_PROMPT.split()) + 3  # the two colons and the full stop
