"""SmolVLM2's int8 layers that read one input, as one int8 product, on a processor.

`int8.fuse_int8_layers_` gives the exact outputs of layers that read one input from one product (the
input quantised per row, the weights per output channel), the weights a view of the prepared file
where they lie side by side. Here: the query, key and value of each attention, in the vision encoder
and the language model, and the language model's gate and up. The input is quantised once, and at
one token a step 96 fewer int8 calls are made (each a fixed cost of small operations). At one token
a step, a decoder layer with both fused runs its parts' operations itself (`FusedDecoderLayer`): the
same operations in the same order, with the query's and key's rotation as one, and none of the
module calls between them.
`tests/engine/families/test_smolvlm_fused.py` checks the outputs and tokens against the separate
layers.

Only the projections change: the attention itself, the cache and the activation stay transformers'
code, called as transformers calls them. Put in when the engine is made and again after a reload, for
int8 layers on the processor only; float layers and a graphics card keep transformers' classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.idefics3.modeling_idefics3 import Idefics3VisionAttention
from transformers.models.llama.modeling_llama import (
    LlamaAttention,
    LlamaDecoderLayer,
    LlamaMLP,
    apply_rotary_pos_emb,
    eager_attention_forward,
    rotate_half,
)
from transformers.models.smolvlm.modeling_smolvlm import SmolVLMVisionAttention
from transformers.models.smolvlm.modeling_smolvlm import (
    eager_attention_forward as vision_eager_attention_forward,
)

from assistant.engine.int8 import Int8Linear, fuse_int8_layers_


class FusedVisionAttention(SmolVLMVisionAttention):
    """The vision encoder's attention with its key, value and query from one int8 product (in the
    order transformers declares them, which is the order their weights lie in the prepared file)."""

    qkv: Int8Linear

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        input_shape = hidden_states.shape[:-1]
        hidden_shape = (*input_shape, -1, self.head_dim)
        keys, values, queries = (
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


class FusedDecoderLayer(LlamaDecoderLayer):
    """A language-model layer whose attention and feed-forward are fused, one token a step without
    the module calls between its parts (0.94x a step, one thread). The query and key are rotated
    together: they lie side by side in the fused product, and the rotation is elementwise."""

    self_attn: FusedTextAttention
    mlp: FusedMLP

    def forward(  # transformers' signature, less its deprecated name
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Any = None,
        use_cache: bool | None = False,
        position_embeddings: tuple[torch.Tensor, torch.Tensor] | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        attention = self.self_attn
        if (
            hidden_states.shape[1] != 1
            or cache is None
            or position_embeddings is None
            or self.training
            or attention.config._attn_implementation != "sdpa"
        ):
            return super().forward(
                hidden_states,
                attention_mask=attention_mask,
                position_ids=position_ids,
                cache=cache,
                use_cache=use_cache,
                position_embeddings=position_embeddings,
                **kwargs,
            )
        batch, width = hidden_states.shape[0], attention.head_dim
        query_width, key_width, _ = attention.qkv_widths
        qkv = attention.qkv.forward(self.input_layernorm.forward(hidden_states))
        qk = qkv[..., : query_width + key_width].view(batch, 1, -1, width).transpose(1, 2)
        cos, sin = position_embeddings
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        qk = (qk * cos) + (rotate_half(qk) * sin)  # apply_rotary_pos_emb's arithmetic
        heads = query_width // width
        value = qkv[..., query_width + key_width :].view(batch, 1, -1, width).transpose(1, 2)
        key, value = cache.update(qk[:, heads:], value, attention.layer_idx, kwargs=kwargs)
        attended, _ = sdpa_attention_forward(
            attention, qk[:, :heads], key, value, attention_mask, dropout=0.0, scaling=attention.scaling
        )
        hidden = hidden_states + attention.o_proj.forward(attended.reshape(batch, 1, -1).contiguous())
        mlp = self.mlp
        gate, up = mlp.gate_up.forward(self.post_attention_layernorm.forward(hidden)).split(
            mlp.intermediate_size, dim=-1
        )
        return hidden + mlp.down_proj.forward(mlp.act_fn(gate) * up)


_QKV = ("q_proj", "k_proj", "v_proj")
_KVQ = ("k_proj", "v_proj", "q_proj")  # the vision attention's own order
_VISION = {
    SmolVLMVisionAttention: FusedVisionAttention,
    Idefics3VisionAttention: FusedIdefics3VisionAttention,
}


def use_fused_layers(model: torch.nn.Module) -> int:
    """Fuse `model`'s int8 layers that read one input (`int8.fuse_int8_layers_`, in place; again after
    a reload). The number of modules changed."""
    changed = 0
    for module in list(model.modules()):
        kind = type(module)
        if kind in _VISION and fuse_int8_layers_(module, _KVQ, "qkv"):
            module.__class__ = _VISION[kind]
        elif kind is LlamaAttention and fuse_int8_layers_(module, _QKV, "qkv"):
            module.__class__ = FusedTextAttention
            # a plain attribute (nn.Module's setattr is typed for modules)
            module.__dict__["qkv_widths"] = [getattr(module, name).out_features for name in _QKV]
        elif kind is LlamaMLP and fuse_int8_layers_(module, ("gate_proj", "up_proj"), "gate_up"):
            module.__class__ = FusedMLP
        else:
            continue
        changed += 1
    for module in model.modules():  # after their parts: a layer comes before them in `modules()`
        if (
            type(module) is LlamaDecoderLayer
            and type(module.self_attn) is FusedTextAttention
            and type(module.mlp) is FusedMLP
        ):
            module.__class__ = FusedDecoderLayer
            changed += 1
    return changed
