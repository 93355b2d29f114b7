"""Greedy decoding of one sentence with a Marian (opus-mt) model, a token a step over the model's own
layers, with the same operations in the same order as transformers' `generate`, so the same tokens.

Why: a first spoken sentence waits for its translation, 20 to 30 decode steps. Most of a step is the
int8 products; of the rest, `generate` and the model's `forward` add about 2 ms a step of bookkeeping
(output classes, masks built and found empty, the cache's objects, keyword plumbing), about a fifth of
the sentence (docs/translation.md). Here a step calls only the layers' operations: the same int8
products, layer norms and `scaled_dot_product_attention` that the model's `forward` calls for one token
of one sentence with its cache, and transformers' own logits processors for what the model's
generation config asks. Anything this does not cover (a batch, another attention, a config with a
repetition penalty...) is left to `generate` (`fits`). No Qt.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional

# The generation config's settings that greedy decoding reads here (a published opus-mt's: the pad
# token barred, logits renormalized, the end forced at the length cap) and those it overrides
# (beams and the length, which the translator sets). Any other setting goes through `generate`.
_READ = {"bad_words_ids", "renormalize_logits", "forced_eos_token_id", "eos_token_id", "pad_token_id"}
_OVERRIDDEN = {"num_beams", "max_length", "decoder_start_token_id", "bos_token_id", "use_cache"}
_NO_EFFECT = {"output_attentions", "output_hidden_states", "_from_model_config", "transformers_version"}

Linear = Callable[[torch.Tensor], torch.Tensor]


def fits(model: Any, batch: dict[str, torch.Tensor]) -> bool:
    """Whether `translate` gives what `generate` would: one sentence, a float32 Marian model in
    inference with PyTorch's attention and its cache, and no generation setting but those read here."""
    config = model.generation_config
    settings = set(config.to_diff_dict()) - _READ - _OVERRIDDEN - _NO_EFFECT
    return (
        type(model).__name__ == "MarianMTModel"
        and not model.training
        and model.dtype == torch.float32
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
    processors, normalize = _processors(config, max_new_tokens, ends)
    plan = _plan(model)
    encoded = model.get_encoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    source = plan.source(encoded.last_hidden_state)  # each layer's keys and values of the source, once
    decoder = model.model.decoder
    # The cache: each layer's keys and values of the tokens so far, written in place up to the cap
    # (the attention reads the part written; a growing `torch.cat` copied it all at every step).
    shape = (1, plan.heads, max_new_tokens, plan.head_dim)
    keys = [torch.empty(shape) for _layer in plan.layers]
    values = [torch.empty(shape) for _layer in plan.layers]
    ids = torch.full((1, 1 + max_new_tokens), config.decoder_start_token_id, dtype=torch.long)
    for step in range(max_new_tokens):
        hidden = decoder.embed_tokens(ids[:, step : step + 1]) * decoder.embed_scale
        hidden = hidden + decoder.embed_positions.weight[step : step + 1]
        for layer, key_cache, value_cache, (source_keys, source_values) in zip(
            plan.layers, keys, values, source, strict=True
        ):
            query, key, value = (plan.split(part) for part in layer.query_key_value(hidden))
            key_cache[:, :, step : step + 1] = key
            value_cache[:, :, step : step + 1] = value
            attended = plan.attend(query, key_cache[:, :, : step + 1], value_cache[:, :, : step + 1])
            hidden = layer.self_norm(hidden + layer.self_out(attended))
            attended = plan.attend(plan.split(layer.cross_query(hidden)), source_keys, source_values)
            hidden = layer.cross_norm(hidden + layer.cross_out(attended))
            hidden = layer.final_norm(hidden + layer.fc2(layer.activation(layer.fc1(hidden))))
        logits = (plan.head(hidden) + model.final_logits_bias)[:, -1]
        for processor in processors:  # each as `generate`'s list calls it (the list inspects each first)
            logits = processor(ids[:, : step + 1], logits)
        token = choose(logits, normalize)
        ids[0, step + 1] = token
        if token in ends:
            return ids[:, : step + 2]
    return ids


def choose(scores: torch.Tensor, normalize: bool) -> int:
    """The greedy token of one sentence's processed `scores` (1, vocabulary): `argmax`, after
    `log_softmax` where the config renormalizes (transformers' `LogitNormalization`, last in
    `generate`'s processors). `log_softmax` subtracts one number from every score, which keeps their
    order, so the argmax is the scores' own, unless rounding makes the best and a close second equal
    (a tie goes to the lower index): only scores within a few float32 units of the best can, so where
    the best is finite and the second more than 1e-4 of it below, the best is the token; else the exact
    operations. The same token, for about 35 µs instead of 270 (a 65,001-word vocabulary)."""
    if not normalize:
        return int(torch.argmax(scores, dim=-1))
    row = scores[0].detach().numpy()
    best = int(row.argmax())  # the first of the highest, as torch's argmax (without a NaN)
    top = float(row[best])
    second = max(row[:best].max(initial=-math.inf), row[best + 1 :].max(initial=-math.inf))
    if math.isfinite(top) and not top - second <= 1e-4 * (1 + abs(top)):  # a NaN second is not clear
        return best
    return int(torch.argmax(scores.log_softmax(dim=-1), dim=-1))


@dataclass(frozen=True)
class _Layer:
    """One decoder layer's operations, each bound to its weights (no module call in a step)."""

    query_key_value: _Joined
    self_out: Linear
    self_norm: Linear
    cross_query: Linear
    cross_out: Linear
    cross_norm: Linear
    fc1: Linear
    activation: Linear
    fc2: Linear
    final_norm: Linear


@dataclass(frozen=True)
class _Plan:
    layers: list[_Layer]
    source_keys_values: _Joined
    head: Linear
    heads: int
    head_dim: int
    scaling: float

    def source(self, encoded: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each layer's keys and values of the source (the cache's copy of them: contiguous)."""
        parts = [self.split(part).contiguous() for part in self.source_keys_values(encoded)]
        return list(zip(parts[0::2], parts[1::2], strict=True))

    def split(self, states: torch.Tensor) -> torch.Tensor:
        """(batch, length, model) -> (batch, heads, length, head size), a view as the model's attention
        makes."""
        return states.view(*states.shape[:-1], self.heads, self.head_dim).transpose(1, 2)

    def attend(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """One token's attention, as transformers' sdpa path computes it with no mask, its heads joined
        (1, 1, model): the output layer's input."""
        out = functional.scaled_dot_product_attention(query, key, value, dropout_p=0.0, scale=self.scaling)
        return out.transpose(1, 2).reshape(query.shape[0], query.shape[2], -1)


# Each model's plan, made at its first sentence.
_PLANS: weakref.WeakKeyDictionary[Any, _Plan] = weakref.WeakKeyDictionary()


def _plan(model: Any) -> _Plan:
    if model not in _PLANS:
        layers = list(model.model.decoder.layers)
        attention = layers[0].self_attn
        _PLANS[model] = _Plan(
            [_layer(layer) for layer in layers],
            # The source's keys and values of every layer: one product, once a sentence.
            _Joined(
                [part for layer in layers for part in (layer.encoder_attn.k_proj, layer.encoder_attn.v_proj)]
            ),
            _linear(model.lm_head),
            attention.num_heads,
            attention.head_dim,
            attention.scaling,
        )
    return _PLANS[model]


def _layer(layer: Any) -> _Layer:
    attention = layer.self_attn
    return _Layer(
        query_key_value=_Joined([attention.q_proj, attention.k_proj, attention.v_proj]),
        self_out=_linear(attention.out_proj),
        self_norm=_norm(layer.self_attn_layer_norm),
        cross_query=_linear(layer.encoder_attn.q_proj),
        cross_out=_linear(layer.encoder_attn.out_proj),
        cross_norm=_norm(layer.encoder_attn_layer_norm),
        fc1=_linear(layer.fc1),
        activation=layer.activation_fn,
        fc2=_linear(layer.fc2),
        final_norm=_norm(layer.final_layer_norm),
    )


def _linear(module: Any) -> Linear:
    """The module's own operation, called without the module: PyTorch's dynamic int8 product as its
    `forward` calls it (its output is float32, as its float32 input), or a float32 layer's."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    if type(module) is DynamicLinear and module._packed_params.dtype == torch.qint8:
        packed, reduce_range = module._packed_params._packed_params, module.version >= 4
        product = _int8_product()
        return lambda x: product(x, packed, reduce_range)
    if type(module) is torch.nn.Linear:
        weight, bias = module.weight, module.bias
        return lambda x: functional.linear(x, weight, bias)
    return module


def _int8_product() -> Callable[[torch.Tensor, Any, bool], torch.Tensor]:
    """PyTorch's dynamic int8 product (`quantized::linear_dynamic`, what the int8 layers' `forward`
    calls), through the dispatcher's own entry. The usual `torch.ops.quantized.linear_dynamic` looks for
    `__torch_function__` on each argument first, and the packed weights (a TorchScript object) answer
    with two C++ exceptions: 50 µs a call of one token against 14 µs this way, the same operation
    (measured here, 512 x 512, one thread); a step makes 37 such calls."""
    try:
        handle = torch._C._dispatch_find_schema_or_throw("quantized::linear_dynamic", "")
        call = torch._C._dispatch_call_boxed
    except (AttributeError, RuntimeError):  # another PyTorch: the usual entry
        return torch.ops.quantized.linear_dynamic
    return lambda x, packed, reduce_range: call(handle, x, packed, reduce_range)


def _norm(module: torch.nn.LayerNorm) -> Linear:
    shape, weight, bias, eps = module.normalized_shape, module.weight, module.bias, module.eps
    return lambda x: functional.layer_norm(x, shape, weight, bias, eps)


class _Joined:
    """The outputs of linear layers of one input from one joined int8 product where they are PyTorch's
    dynamic int8 layers with one scale each (`packed`), else from each. A product of one token costs
    about 40 µs whatever its size here, mostly the call's own work, so one joined product costs about
    a third of three; and it gives the same numbers: the input is quantized once either way (its range
    is the same for all), and each output row keeps its own layer's weights and scale (per-channel
    scales)."""

    def __init__(self, parts: list[Any]) -> None:
        self.alone = [_linear(part) for part in parts]
        self.packed = _join(parts)
        self.sizes = [part.out_features for part in parts]
        self.product = _int8_product()

    def __call__(self, x: torch.Tensor) -> Sequence[torch.Tensor]:
        if self.packed is None:
            return [linear(x) for linear in self.alone]
        return self.product(x, self.packed, True).split(self.sizes, dim=-1)


def _join(parts: list[Any]) -> Any:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

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


def _ids(tokens: int | list[int] | None) -> list[int]:
    return [] if tokens is None else [tokens] if isinstance(tokens, int) else list(tokens)


def _processors(config: Any, max_new_tokens: int, ends: list[int]) -> tuple[list[Any], bool]:
    """transformers' own processors, in `generate`'s order, for what `fits` lets through, and whether
    the logits are then renormalized (`LogitNormalization`, last: `choose` does it where it counts)."""
    from transformers import ForcedEOSTokenLogitsProcessor, NoBadWordsLogitsProcessor

    processors: list[Any] = []
    if config.bad_words_ids is not None:
        processors.append(NoBadWordsLogitsProcessor(config.bad_words_ids, ends))
    if config.forced_eos_token_id is not None:
        # `generate`'s max_length: the start token and the new ones.
        processors.append(ForcedEOSTokenLogitsProcessor(1 + max_new_tokens, config.forced_eos_token_id))
    return processors, config.renormalize_logits is True
