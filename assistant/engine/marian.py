"""Greedy decoding of one sentence with a Marian (opus-mt) model, a token a step over the model's own
layers, with the same operations in the same order as transformers' `generate`, so the same tokens.

Why: a first spoken sentence waits for its translation, 20 to 30 decode steps. Most of a step is the
int8 products; of the rest, `generate` and the model's `forward` add about 2 ms a step of bookkeeping
(output classes, masks built and found empty, the cache's objects, keyword plumbing), about a fifth of
the sentence (docs/translation.md). Here a step calls only the layers: the same linear layers, layer
norms and `scaled_dot_product_attention` that the model's `forward` calls for one token of one sentence
with its cache, and transformers' own logits processors for what the model's generation config asks.
Anything this does not cover (a batch, another attention, a config with a repetition penalty...) is
left to `generate` (`fits`). No Qt.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch.nn import functional

# The generation config's settings that greedy decoding reads here (a published opus-mt's: the pad
# token barred, logits renormalized, the end forced at the length cap) and those it overrides
# (beams and the length, which the translator sets). Any other setting goes through `generate`.
_READ = {"bad_words_ids", "renormalize_logits", "forced_eos_token_id", "eos_token_id", "pad_token_id"}
_OVERRIDDEN = {"num_beams", "max_length", "decoder_start_token_id", "bos_token_id", "use_cache"}
_NO_EFFECT = {"output_attentions", "output_hidden_states", "_from_model_config", "transformers_version"}


def fits(model: Any, batch: dict[str, torch.Tensor]) -> bool:
    """Whether `translate` gives what `generate` would: one sentence, a Marian model in inference with
    PyTorch's attention and its cache, and no generation setting but those read here."""
    config = model.generation_config
    settings = set(config.to_diff_dict()) - _READ - _OVERRIDDEN - _NO_EFFECT
    return (
        type(model).__name__ == "MarianMTModel"
        and not model.training
        and model.config._attn_implementation == "sdpa"
        and config.use_cache is not False
        and config.decoder_start_token_id is not None
        and batch["input_ids"].shape[0] == 1
        and bool(batch["attention_mask"].all())
        and not settings
    )


def translate(model: Any, batch: dict[str, torch.Tensor], max_new_tokens: int) -> torch.Tensor:
    """The decoder's tokens for the one sentence in `batch` (start token first), greedy, at most
    `max_new_tokens` after the start token, as `generate(num_beams=1, do_sample=False)` gives them."""
    config = model.generation_config
    ends = _ids(config.eos_token_id)
    processors = _processors(config, max_new_tokens, ends)
    encoded = model.get_encoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    decoder = model.model.decoder
    layers = list(decoder.layers)
    # Each layer's keys and values of the source, once (the cache's copy of them: contiguous).
    source = [
        (
            _heads(layer.encoder_attn.k_proj(encoded.last_hidden_state), layer).contiguous(),
            _heads(layer.encoder_attn.v_proj(encoded.last_hidden_state), layer).contiguous(),
        )
        for layer in layers
    ]
    joined = _joined(model, layers)
    keys: list[torch.Tensor] = []  # each layer's keys and values of the tokens so far (the cache)
    values: list[torch.Tensor] = []
    ids = torch.tensor([[config.decoder_start_token_id]], dtype=torch.long)
    for step in range(max_new_tokens):
        hidden = decoder.embed_tokens(ids[:, -1:]) * decoder.embed_scale
        hidden = hidden + decoder.embed_positions.weight[step : step + 1]
        for index, layer in enumerate(layers):
            attention = layer.self_attn
            query, key, value = (
                _heads(part, layer) for part in _projections(attention, joined[index], hidden)
            )
            if step == 0:
                keys.append(key.contiguous())
                values.append(value.contiguous())
            else:
                keys[index] = torch.cat([keys[index], key], dim=-2)
                values[index] = torch.cat([values[index], value], dim=-2)
            hidden = layer.self_attn_layer_norm(
                hidden + _attend(attention, query, keys[index], values[index])
            )
            attention = layer.encoder_attn
            query = _heads(attention.q_proj(hidden), layer)
            hidden = layer.encoder_attn_layer_norm(hidden + _attend(attention, query, *source[index]))
            hidden = layer.final_layer_norm(hidden + layer.fc2(layer.activation_fn(layer.fc1(hidden))))
        logits = (model.lm_head(hidden) + model.final_logits_bias)[:, -1].to(copy=True, dtype=torch.float32)
        token = torch.argmax(processors(ids, logits), dim=-1)
        ids = torch.cat([ids, token[:, None]], dim=-1)
        if int(token) in ends:
            break
    return ids


# Each model's self-attention query, key and value layers joined into one int8 product per layer.
_JOINED: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


def _joined(model: Any, layers: list[Any]) -> list[Any]:
    """Per layer, its query, key and value layers' int8 weights as one packed product (or None where
    they are not PyTorch's dynamic int8 layers with one scale each). A product of one token costs
    about 40 µs whatever its size here, mostly the call's own work, so one joined product costs about
    a third of three; and it gives the same numbers: the token is quantized once either way (its
    range is the same for all three), and each output row keeps its own layer's weights and scale
    (per-channel scales)."""
    if model not in _JOINED:
        _JOINED[model] = [_join(layer.self_attn) for layer in layers]
    return _JOINED[model]


def _join(attention: Any) -> Any:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    parts = (attention.q_proj, attention.k_proj, attention.v_proj)
    if not all(type(part) is DynamicLinear and part.version == 4 for part in parts):  # reduce_range=True
        return None
    weights = [part.weight() for part in parts]
    biases = [part.bias() for part in parts]
    if any(w.dtype != torch.qint8 or w.qscheme() != torch.per_tensor_affine for w in weights):
        return None
    if any(b is None for b in biases) or any(w.q_zero_point() != 0 for w in weights):
        return None
    scales = torch.cat([torch.full((w.shape[0],), w.q_scale(), dtype=torch.float64) for w in weights])
    joined = torch._make_per_channel_quantized_tensor(
        torch.cat([w.int_repr() for w in weights]), scales, torch.zeros(len(scales), dtype=torch.long), 0
    )
    return torch.ops.quantized.linear_prepack(joined, torch.cat(biases))


def _projections(attention: Any, joined: Any, hidden: torch.Tensor) -> list[torch.Tensor]:
    """The query, key and value of `hidden`: one joined int8 product, else the three layers."""
    if joined is None:
        return [attention.q_proj(hidden), attention.k_proj(hidden), attention.v_proj(hidden)]
    return list(torch.ops.quantized.linear_dynamic(hidden, joined, reduce_range=True).chunk(3, dim=-1))


def _heads(states: torch.Tensor, layer: Any) -> torch.Tensor:
    """(batch, length, model) -> (batch, heads, length, head size), a view as the model's attention makes."""
    return states.view(*states.shape[:-1], -1, layer.self_attn.head_dim).transpose(1, 2)


def _attend(attention: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """One token's attention and output layer, as transformers' sdpa path computes it with no mask."""
    out = functional.scaled_dot_product_attention(query, key, value, dropout_p=0.0, scale=attention.scaling)
    out = out.transpose(1, 2).contiguous()
    return attention.out_proj(out.reshape(*out.shape[:2], -1).contiguous())


def _ids(tokens: int | list[int] | None) -> list[int]:
    return [] if tokens is None else [tokens] if isinstance(tokens, int) else list(tokens)


def _processors(config: Any, max_new_tokens: int, ends: list[int]) -> Any:
    """transformers' own processors, in `generate`'s order, for what `fits` lets through."""
    from transformers import (
        ForcedEOSTokenLogitsProcessor,
        LogitNormalization,
        LogitsProcessorList,
        NoBadWordsLogitsProcessor,
    )

    processors = LogitsProcessorList()
    if config.bad_words_ids is not None:
        processors.append(NoBadWordsLogitsProcessor(config.bad_words_ids, ends))
    if config.forced_eos_token_id is not None:
        # `generate`'s max_length: the start token and the new ones.
        processors.append(ForcedEOSTokenLogitsProcessor(1 + max_new_tokens, config.forced_eos_token_id))
    if config.renormalize_logits is True:
        processors.append(LogitNormalization())
    return processors
