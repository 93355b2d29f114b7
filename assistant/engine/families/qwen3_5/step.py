"""Qwen3.5's decoder layers at one token a step, on a processor: the parts' operations called directly.

At one token a step with a cache, a layer's arithmetic is a few microseconds an operation, and what a
token paid besides reading the weights was the calls: the modules between a layer's parts, the norms'
`1 + weight` made again at every call, the query's and key's norms and rotations done apart. Here a
decoder layer (both kinds) runs its parts itself, the same operations on the same numbers:
- the norms' weights are kept as `1 + weight` (`norms.FusedRMSNorm.scale`);
- a full-attention layer's query (with its gate), key and value come from one int8 product
  (`int8.fuse_int8_layers_`: the same numbers as the three, one quantisation of the input), the
  query and key are normed by one `rms_norm` and rotated together (the rotation is elementwise);
- the delta-net's step is `deltanet.DecodingGatedDeltaNet`'s, called without the module's call;
- the feed-forward's gate and up are one product (`mlp.py`), its activation called directly.
Anything else (a prompt, a graphics card, a cache recording its past, float weights) goes to
transformers' code. `tests/engine/families/test_qwen3_5_step.py` checks tokens and logits against it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional
from transformers.models.qwen3_5.modeling_qwen3_5 import (
    Qwen3_5Attention,
    Qwen3_5DecoderLayer,
    rotate_half,
)

from assistant.engine.families.qwen3_5 import attention_layer, delta_layer, deltanet
from assistant.engine.families.qwen3_5.deltanet import DecodingGatedDeltaNet
from assistant.engine.families.qwen3_5.kept import kept
from assistant.engine.families.qwen3_5.mlp import GATE_UP, FusedMLP
from assistant.engine.families.qwen3_5.norms import FusedRMSNorm
from assistant.engine.int8 import Int8Linear, fuse_int8_layers_

QKV = "qkv_proj"
_QKV = ("q_proj", "k_proj", "v_proj")  # their declared order: side by side in the prepared file


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """transformers' `apply_rotary_pos_emb` for one tensor (heads on dimension 1): the first
    `cos.shape[-1]` values of each head rotated, the rest passed."""
    width = cos.shape[-1]
    rotated, passed = x[..., :width], x[..., width:]
    return torch.cat(((rotated * cos) + (rotate_half(rotated) * sin), passed), dim=-1)


class DecodingDecoderLayer(Qwen3_5DecoderLayer):
    """`Qwen3_5DecoderLayer` that runs one token with a cache through its parts' operations."""

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor],
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Any = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        if hidden_states.shape[1] == 1 and cache is not None and self._decodes(hidden_states):
            return self._step(hidden_states, position_embeddings, attention_mask, cache, kwargs)
        return super().forward(
            hidden_states,
            position_embeddings,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            **kwargs,
        )

    def _decodes(self, hidden_states: torch.Tensor) -> bool:
        """Whether every part is one this step covers (float32 on the processor, int8 fused)."""
        if self.training or hidden_states.dtype != torch.float32:
            return False
        if (
            type(self.input_layernorm) is not FusedRMSNorm
            or type(self.post_attention_layernorm) is not FusedRMSNorm
        ):
            return False
        if type(self.mlp) is not FusedMLP:
            return False
        if self.block_type == "linear_attention":
            return type(self.linear_attn) is DecodingGatedDeltaNet
        attention = self.self_attn
        return (
            type(attention._modules.get(QKV)) is Int8Linear
            and attention.config._attn_implementation == "sdpa"
            and type(attention.q_norm) is FusedRMSNorm
            and type(attention.k_norm) is FusedRMSNorm
            and attention.q_norm.eps == attention.k_norm.eps
        )

    def _step(
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor],
        attention_mask: torch.Tensor | None,
        cache: Any,
        kwargs: dict[str, Any],
    ) -> torch.Tensor:
        if (
            self.block_type == "linear_attention"
            and hidden_states.shape[0] == 1
            and not cache.is_recording_past(self.linear_attn.layer_idx)
            and not any(kwargs.get(name) is not None for name in deltanet.PACKED)
            and (plan := delta_layer.plan_of(self)) is not None
            and (out := delta_layer.step(plan, self, hidden_states, cache)) is not None
        ):
            return out  # one prompt: the same operations with what they read gathered once
        if (
            self.block_type != "linear_attention"
            and hidden_states.shape[0] == 1
            and (attention_plan := attention_layer.plan_of(self, QKV)) is not None
        ):
            qk_scale = _qk_scale(self.self_attn)
            return attention_layer.step(
                attention_plan,
                self,
                hidden_states,
                position_embeddings,
                attention_mask,
                cache,
                kwargs,
                qk_scale,
                _rotate,
            )
        normed = self.input_layernorm.forward(hidden_states)
        if self.block_type == "linear_attention":
            mixed = self.linear_attn.forward(normed, cache=cache, attention_mask=attention_mask, **kwargs)
        else:
            mixed = self._attend(normed, position_embeddings, attention_mask, cache, kwargs)
        hidden_states = hidden_states + mixed
        mlp = self.mlp
        gate, up = (
            getattr(mlp, GATE_UP)
            .forward(self.post_attention_layernorm.forward(hidden_states))
            .split(mlp.intermediate_size, dim=-1)
        )
        return hidden_states + mlp.down_proj.forward(functional.silu(gate) * up)

    def _attend(
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor],
        attention_mask: torch.Tensor | None,
        cache: Any,
        kwargs: dict[str, Any],
    ) -> torch.Tensor:
        """`Qwen3_5Attention.forward`'s arithmetic at one token (`attention_layer.attend`)."""
        attention: Qwen3_5Attention = self.self_attn
        qkv_layer: Int8Linear = getattr(attention, QKV)
        attended = attention_layer.attend(
            attention,
            qkv_layer.forward(hidden_states),
            hidden_states.shape[0],
            _qk_scale(attention),
            position_embeddings,
            attention_mask,
            cache,
            kwargs,
            _rotate,
        )
        return attention.o_proj.forward(attended)


def _qk_scale(attention: Qwen3_5Attention) -> torch.Tensor:
    """The query's heads' `1 + weight`, then the key's (heads × width), kept while the weights are."""
    q_norm, k_norm = attention.q_norm, attention.k_norm
    width = attention.head_dim
    heads, kv_heads = attention.config.num_attention_heads, attention.config.num_key_value_heads
    return kept(
        attention,
        "_qk_scale",
        (q_norm.weight, k_norm.weight),
        lambda: torch.cat(
            ((1.0 + q_norm.weight).expand(heads, width), (1.0 + k_norm.weight).expand(kv_heads, width))
        ),
    )


def use_decoding_layers(model: torch.nn.Module) -> None:
    """Give every decoder layer of `model` the step above, its attention's query, key and value one
    int8 product where they are int8 on the processor (in place; again after a reload). Call after
    `use_fast_decoding`, `use_fused_mlp` and `use_fused_norms`: the step checks their classes."""
    for module in model.modules():
        if type(module) is Qwen3_5Attention:
            fuse_int8_layers_(module, _QKV, QKV)
        elif type(module) is Qwen3_5DecoderLayer:
            module.__class__ = DecodingDecoderLayer
