"""SmolVLM2's int8 layers that read one input, as one int8 product, on a processor.

An int8 layer quantises its input per row and its weights per output channel, so the output of layers
that read the same input is the same whether they run apart or as one layer whose weight rows are
theirs one after the other: the integer products are exact, and each output channel is scaled by its
own row's and channel's scales either way. One product instead of three (the query, key and value of
each attention, in the vision encoder and the language model) or two (the language model's gate and
up) quantises the input once, and at one token a step it saves the fixed cost of an int8 call (about
60 us of small operations each, 96 calls a token). `tests/engine/families/test_smolvlm_fused.py` checks
the outputs and tokens against the separate layers.

Only the projections change: the attention itself, the cache and the activation stay transformers'
code, called as transformers calls them. Put in when the engine is made and again after a reload, for
int8 layers on the processor only; float layers and a graphics card keep transformers' classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.idefics3.modeling_idefics3 import Idefics3VisionAttention
from transformers.models.llama.modeling_llama import (
    LlamaAttention,
    LlamaMLP,
    apply_rotary_pos_emb,
    eager_attention_forward,
)
from transformers.models.smolvlm.modeling_smolvlm import SmolVLMVisionAttention
from transformers.models.smolvlm.modeling_smolvlm import (
    eager_attention_forward as vision_eager_attention_forward,
)

from assistant.engine.int8 import Int8Linear


def fuse_int8(layers: Sequence[Int8Linear]) -> Int8Linear:
    """One int8 layer whose output is the outputs of `layers` (which read one input) side by side."""
    biases = [layer.bias for layer in layers]
    bias = None
    if any(each is not None for each in biases):
        bias = torch.cat(
            [
                each if each is not None else torch.zeros(layer.out_features)
                for each, layer in zip(biases, layers, strict=True)
            ]
        )
    return Int8Linear(
        torch.cat([layer.weight for layer in layers]), torch.cat([layer.scales for layer in layers]), bias
    )


def _fusable(module: torch.nn.Module, names: Sequence[str]) -> bool:
    layers = [getattr(module, name, None) for name in names]
    return all(type(layer) is Int8Linear and layer.weight.device.type == "cpu" for layer in layers)


def _fuse_into(module: torch.nn.Module, names: Sequence[str], fused_name: str) -> list[int]:
    """Replace `names`' layers of `module` by one fused layer called `fused_name`; their widths."""
    layers = [getattr(module, name) for name in names]
    setattr(module, fused_name, fuse_int8(layers))
    for name in names:
        delattr(module, name)  # their weights go: only the fused copy is read
    return [layer.out_features for layer in layers]


class FusedVisionAttention(SmolVLMVisionAttention):
    """The vision encoder's attention with its query, key and value from one int8 product."""

    qkv: Int8Linear

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        input_shape = hidden_states.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        queries, keys, values = (
            part.view(hidden_shape).transpose(1, 2)
            for part in self.qkv(hidden_states).split(self.embed_dim, dim=-1)
        )
        attention: Callable[..., tuple[torch.Tensor, torch.Tensor | None]] = (
            ALL_ATTENTION_FUNCTIONS.get_interface(
                self.config._attn_implementation, vision_eager_attention_forward
            )
        )
        attn_output, attn_weights = attention(
            self,
            queries,
            keys,
            values,
            attention_mask,
            is_causal=self.is_causal,
            scaling=self.scale,
            dropout=0.0 if not self.training else self.dropout,
        )
        attn_output = attn_output.reshape(*input_shape, -1).contiguous()
        return self.out_proj(attn_output), attn_weights


class FusedIdefics3VisionAttention(Idefics3VisionAttention):
    """SmolVLM's first generation's vision attention, the same way."""

    qkv: Int8Linear
    forward = FusedVisionAttention.forward


class FusedTextAttention(LlamaAttention):
    """The language model's attention with its query, key and value from one int8 product."""

    qkv: Int8Linear
    qkv_widths: list[int]

    def forward(  # transformers' signature, less its deprecated name
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor],
        attention_mask: torch.Tensor | None = None,
        cache: Any = None,
        **kwargs: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        input_shape = hidden_states.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        query_states, key_states, value_states = (
            part.view(hidden_shape).transpose(1, 2)
            for part in self.qkv(hidden_states).split(self.qkv_widths, dim=-1)
        )
        cos, sin = position_embeddings
        query_states, key_states = apply_rotary_pos_emb(query_states, key_states, cos, sin)
        if cache is not None:
            key_states, value_states = cache.update(key_states, value_states, self.layer_idx, kwargs=kwargs)
        attention: Callable[..., tuple[torch.Tensor, torch.Tensor | None]] = (
            ALL_ATTENTION_FUNCTIONS.get_interface(self.config._attn_implementation, eager_attention_forward)
        )
        attn_output, attn_weights = attention(
            self,
            query_states,
            key_states,
            value_states,
            attention_mask,
            dropout=0.0 if not self.training else self.attention_dropout,
            scaling=self.scaling,
            **kwargs,
        )
        attn_output = attn_output.reshape(*input_shape, -1).contiguous()
        return self.o_proj(attn_output), attn_weights


class FusedMLP(LlamaMLP):
    """The language model's feed-forward with its gate and up from one int8 product."""

    gate_up: Int8Linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).split(self.intermediate_size, dim=-1)
        return self.down_proj(self.act_fn(gate) * up)


_QKV = ("q_proj", "k_proj", "v_proj")
_VISION = {
    SmolVLMVisionAttention: FusedVisionAttention,
    Idefics3VisionAttention: FusedIdefics3VisionAttention,
}


def use_fused_layers(model: torch.nn.Module) -> int:
    """Fuse `model`'s int8 layers that read one input (in place; again after a reload). The number of
    modules changed."""
    changed = 0
    for module in list(model.modules()):
        kind = type(module)
        if kind in _VISION and _fusable(module, _QKV):
            _fuse_into(module, _QKV, "qkv")
            module.__class__ = _VISION[kind]
        elif kind is LlamaAttention and _fusable(module, _QKV):
            widths = _fuse_into(module, _QKV, "qkv")
            module.__class__ = FusedTextAttention
            module.__dict__["qkv_widths"] = (
                widths  # a plain attribute (nn.Module's setattr is typed for modules)
            )
        elif kind is LlamaMLP and _fusable(module, ("gate_proj", "up_proj")):
            _fuse_into(module, ("gate_proj", "up_proj"), "gate_up")
            module.__class__ = FusedMLP
        else:
            continue
        changed += 1
    return changed
