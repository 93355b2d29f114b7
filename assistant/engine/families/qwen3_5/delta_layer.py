"""A whole delta-net decoder layer at one token, for one prompt, on a processor: the same operations on
the same numbers as `step.DecodingDecoderLayer._step` with `deltanet.DecodingGatedDeltaNet._step`, with
what those look up at every call (the modules between the parts, each int8 layer's buffers and checks,
the kept `1 + weight`s, the convolution's taps, the decay rate, the widths) gathered once per layer.

At one token a step a delta-net layer's arithmetic is microseconds an operation, and 18 of them a token
spent about 13 ms on calls with the products stubbed; gathered, 10 ms (the whole token is 60-90 ms).
The arithmetic is the layer step's own (`int8.scaled_product`, `deltanet.delta_rule_step`,
`norms.gated_rms_norm`). The gathered tensors are kept (as `kept.kept` keeps its tensors) while the
weights they come from are neither replaced nor changed in place. Anything this does not cover (a batch
of prompts, a convolution bias, another activation, an int8 layer with a bias) goes to the step it
repeats.
`tests/engine/families/test_qwen3_5_step.py` checks tokens and logits against that step and transformers'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch.nn import functional

from assistant.engine.families.qwen3_5 import deltanet
from assistant.engine.families.qwen3_5.kept import kept_plan
from assistant.engine.families.qwen3_5.mlp import GATE_UP
from assistant.engine.families.qwen3_5.norms import gated_rms_norm
from assistant.engine.families.qwen3_5.products import Product, feed_forward, product_of


@dataclass(frozen=True)
class _Plan:
    """What one delta-net decoder layer's step reads besides its input and cache."""

    input_scale: torch.Tensor
    input_eps: float
    post_scale: torch.Tensor
    post_eps: float
    in_proj: Product
    widths: list[int]
    taps: torch.Tensor  # positions x channels
    decay_rate: torch.Tensor  # -exp(A_log)
    dt_bias: torch.Tensor
    key_dim: int
    heads: int  # the key's heads; each serves `ratio` consecutive value heads
    ratio: int
    key_width: int
    value_width: int
    out_proj: Product
    gate_up: Product
    intermediate: int
    down: Product


def _plan(layer: Any) -> _Plan | None:
    """The plan of `layer` (a `DecodingDecoderLayer` of the linear-attention kind), None where it does
    not apply."""
    delta, mlp = layer.linear_attn, layer.mlp
    products = [
        product_of(delta._modules.get(deltanet.IN_PROJ)),
        product_of(delta.out_proj),
        product_of(mlp._modules.get(GATE_UP)),
        product_of(mlp.down_proj),
    ]
    if (
        any(product is None for product in products)
        or delta.conv1d.bias is not None
        or delta.activation not in ("silu", "swish")
        or delta.norm.activation != "silu"
        or any(
            tensor.dtype != torch.float32
            for tensor in (delta.conv1d.weight, delta.dt_bias, delta.norm.weight, delta.A_log)
        )
    ):
        return None
    in_proj, out_proj, gate_up, down = products
    assert in_proj and out_proj and gate_up and down
    return _Plan(
        layer.input_layernorm.scale(),
        layer.input_layernorm.eps,
        layer.post_attention_layernorm.scale(),
        layer.post_attention_layernorm.eps,
        in_proj,
        [getattr(delta, name).out_features for name in deltanet._IN_PROJECTIONS],
        delta.conv1d.weight[:, 0].t().contiguous(),
        -delta.A_log.float().exp(),
        delta.dt_bias,
        delta.key_dim,
        delta.num_k_heads,
        delta.num_v_heads // delta.num_k_heads,
        delta.head_k_dim,
        delta.head_v_dim,
        out_proj,
        gate_up,
        mlp.intermediate_size,
        down,
    )


def plan_of(layer: Any) -> _Plan | None:
    """The layer's plan, kept while every weight it reads is neither replaced nor changed in place."""
    delta, mlp = layer.linear_attn, layer.mlp
    layers = (
        delta._modules.get(deltanet.IN_PROJ),
        delta.out_proj,
        mlp._modules.get(GATE_UP),
        mlp.down_proj,
    )
    sources = (
        layer.input_layernorm.weight,
        layer.post_attention_layernorm.weight,
        *(module.weight for module in layers if module is not None),
        delta.conv1d.weight,
        delta.A_log,
        delta.dt_bias,
        delta.norm.weight,
    )
    return kept_plan(layer, "_delta_plan", sources, lambda: _plan(layer))


def step(plan: _Plan, layer: Any, hidden_states: torch.Tensor, cache: Any) -> torch.Tensor | None:
    """The layer's output for one prompt's one token (batch 1); None where the cache's window cannot be
    kept positions first (the layer's own step runs then, before anything is changed)."""
    index = layer.linear_attn.layer_idx
    conv_state = cache.get_conv_state(index)
    state = cache.get_recurrent_state(index)
    if conv_state is None or state is None or state.dtype != torch.float32:
        return None
    positions = deltanet._positions_first(cache, index, conv_state)
    if positions is None or positions.dtype != torch.float32:
        return None
    rows = hidden_states.view(1, -1)
    normed = torch.rms_norm(rows, (rows.shape[1],), plan.input_scale, plan.input_eps)
    mixed, z, b, a = plan.in_proj(normed).split(plan.widths, dim=-1)
    mixed = functional.silu(deltanet.convolve_positions_first(positions, mixed, plan.taps))
    cache.increase_count(index, 0)  # as transformers' one-token convolution counts the token
    value_width = plan.value_width
    qk = mixed[:, : 2 * plan.key_dim].reshape(1, 2, plan.heads, plan.key_width)
    value = mixed[:, 2 * plan.key_dim :].reshape(1, -1, value_width)
    out = deltanet.delta_rule_step(
        qk, value, b.sigmoid(), a, plan.decay_rate, plan.dt_bias, state, plan.ratio
    )
    cache.update_recurrent_state(state, index)
    gated = gated_rms_norm(layer.linear_attn.norm, out.reshape(-1, value_width), z.reshape(-1, value_width))
    rows = rows + plan.out_proj(gated.reshape(1, -1))
    out = feed_forward(rows, plan.post_scale, plan.post_eps, plan.gate_up, plan.intermediate, plan.down)
    return out.view(hidden_states.shape)
