"""A whole full-attention decoder layer at one token, for one prompt, on a processor: the same operations
on the same numbers as `step.DecodingDecoderLayer._step` with its `_attend`, with what those look up at
every call (the modules between the parts, each int8 layer's buffers and checks, the kept `1 + weight`s,
the widths) gathered once per layer, as `delta_layer.py` does for the delta-net layers.

The gathered tensors are kept while the weights they come from are neither replaced nor changed in
place. Anything this does not cover (a batch of prompts, an int8 layer with a bias) goes to the step it
repeats. `tests/engine/families/test_qwen3_5_step.py` checks tokens and logits against that step and
transformers'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from assistant.engine.families.qwen3_5.kept import kept_plan
from assistant.engine.families.qwen3_5.mlp import GATE_UP
from assistant.engine.families.qwen3_5.products import Product, feed_forward, product_of


@dataclass(frozen=True)
class _Plan:
    """What one full-attention decoder layer's step reads besides its input, cache and rotation."""

    input_scale: torch.Tensor
    input_eps: float
    qkv: Product  # the query with its gate, the key and the value, side by side
    o_proj: Product
    post_scale: torch.Tensor
    post_eps: float
    gate_up: Product
    intermediate: int
    down: Product


def _plan(layer: Any, qkv_name: str) -> _Plan | None:
    """The plan of `layer` (a `DecodingDecoderLayer` of the full-attention kind whose `_decodes` holds),
    None where it does not apply."""
    attention, mlp = layer.self_attn, layer.mlp
    products = [
        product_of(attention._modules.get(qkv_name)),
        product_of(attention.o_proj),
        product_of(mlp._modules.get(GATE_UP)),
        product_of(mlp.down_proj),
    ]
    if any(product is None for product in products):
        return None
    qkv, o_proj, gate_up, down = products
    assert qkv and o_proj and gate_up and down
    return _Plan(
        layer.input_layernorm.scale(),
        layer.input_layernorm.eps,
        qkv,
        o_proj,
        layer.post_attention_layernorm.scale(),
        layer.post_attention_layernorm.eps,
        gate_up,
        mlp.intermediate_size,
        down,
    )


def plan_of(layer: Any, qkv_name: str) -> _Plan | None:
    """The layer's plan, kept while every weight it reads is neither replaced nor changed in place."""
    attention, mlp = layer.self_attn, layer.mlp
    layers = (attention._modules.get(qkv_name), attention.o_proj, mlp._modules.get(GATE_UP), mlp.down_proj)
    sources = (
        layer.input_layernorm.weight,
        layer.post_attention_layernorm.weight,
        *(module.weight for module in layers if module is not None),
    )
    return kept_plan(layer, "_attention_plan", sources, lambda: _plan(layer, qkv_name))


def attend(
    attention: Any,
    qkv: torch.Tensor,
    batch: int,
    qk_scale: torch.Tensor,
    position_embeddings: tuple[torch.Tensor, torch.Tensor],
    attention_mask: torch.Tensor | None,
    cache: Any,
    kwargs: dict[str, Any],
    rotate: Any,
) -> torch.Tensor:
    """`Qwen3_5Attention.forward`'s arithmetic at one token from its query (with its gate), key and
    value side by side in `qkv` (one int8 product), the query and key together: the attended values
    times the gate's sigmoid, `batch` x 1 x width, before the output product. `qk_scale` is the query's
    heads' `1 + weight` then the key's (heads x width); `rotate` the rotation."""
    config, width = attention.config, attention.head_dim
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    query_gate = qkv[..., : 2 * heads * width].view(batch, 1, heads, 2 * width)
    query, gate = query_gate[..., :width], query_gate[..., width:]
    keys_end = 2 * heads * width + kv_heads * width
    key = qkv[..., 2 * heads * width : keys_end].view(batch, 1, kv_heads, width)
    value = qkv[..., keys_end:].view(batch, 1, kv_heads, width).transpose(1, 2)
    # One norm for the query's and key's heads (each head alone), then each one's weight.
    qk = torch.rms_norm(torch.cat((query, key), dim=2), (width,), None, attention.q_norm.eps)
    qk = qk.mul_(qk_scale).transpose(1, 2)
    cos, sin = position_embeddings
    qk = rotate(qk, cos.unsqueeze(1), sin.unsqueeze(1))
    key, value = cache.update(qk[:, heads:], value, attention.layer_idx, kwargs=kwargs)
    attended, _ = sdpa_attention_forward(
        attention, qk[:, :heads], key, value, attention_mask, dropout=0.0, scaling=attention.scaling, **kwargs
    )
    return attended.reshape(batch, 1, -1).contiguous() * torch.sigmoid(gate.reshape(batch, 1, -1))


def step(
    plan: _Plan,
    layer: Any,
    hidden_states: torch.Tensor,
    position_embeddings: tuple[torch.Tensor, torch.Tensor],
    attention_mask: torch.Tensor | None,
    cache: Any,
    kwargs: dict[str, Any],
    qk_scale: torch.Tensor,
    rotate: Any,
) -> torch.Tensor:
    """The layer's output for one prompt's one token (batch 1); `qk_scale` and `rotate` as `attend`'s."""
    rows = hidden_states.view(1, -1)
    qkv = plan.qkv(torch.rms_norm(rows, (rows.shape[1],), plan.input_scale, plan.input_eps))
    attended = attend(
        layer.self_attn, qkv, 1, qk_scale, position_embeddings, attention_mask, cache, kwargs, rotate
    )
    rows = rows + plan.o_proj(attended.view(1, -1))
    out = feed_forward(rows, plan.post_scale, plan.post_eps, plan.gate_up, plan.intermediate, plan.down)
    return out.view(hidden_states.shape)
