"""Qwen3.5's gated delta-net layers on a processor: one decoding step, and a prompt's convolution.

At each new token, transformers' PyTorch path (the one it runs where flash-linear-attention's and
causal-conv1d's kernels do not: everywhere but a graphics card) does the layer's two small steps
in ways that cost more than the layer's weights:
- its short causal convolution over the last four positions goes through a depthwise `F.conv1d`,
  which oneDNN sets up again at every call (milliseconds where the arithmetic is microseconds);
- its recurrent update reads and writes the 16×128×128 state five times through elementwise
  multiplies and sums.
Here the convolution is a multiply-add over the kept window, and the state is read once by one
matrix product (for the key and the query together) and updated in place by one more. The
arithmetic is the same gated delta rule:

    S' = exp(g)·S + k ⊗ β(v − exp(g)·kᵀS),    out = qᵀS' = exp(g)·qᵀS + (q·k)·β(v − exp(g)·kᵀS)

A prompt's tokens go through transformers' chunked rule; only their convolution is the four
multiply-adds it is (oneDNN's `conv1d` took about 5 ms a layer for a screen's prompt on one thread).
Everything else (the chunked rule, the projections and norms) is transformers' own.
`tests/engine/families/test_qwen3_5_processor_paths.py` checks the outputs and states against transformers'.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional
from transformers.activations import ACT2FN
from transformers.models.qwen3_5 import modeling_qwen3_5
from transformers.models.qwen3_5.modeling_qwen3_5 import (
    Qwen3_5GatedDeltaNet,
    apply_mask_to_padding_states,
    l2norm,
)

from assistant.engine.families.qwen3_5.kept import kept
from assistant.engine.families.qwen3_5.norms import gated_rms_norm
from assistant.engine.int8 import fuse_int8_layers_

# Packed sequences (several prompts in one row) need the maintained kernels; transformers' path says so.
PACKED = ("cu_seq_lens_q", "cu_seqlens", "seq_idx")
# The layers that read a step's input, in the order of their rows in the fused layer `in_proj` (and in
# the prepared file, where they lie side by side: see `int8.fuse_int8`).
_IN_PROJECTIONS = ("in_proj_qkv", "in_proj_z", "in_proj_b", "in_proj_a")
IN_PROJ = "in_proj"


def causal_conv(window: torch.Tensor, weight: torch.Tensor, length: int) -> torch.Tensor:
    """The last `length` outputs of the causal convolution over `window` (batch × channels × positions,
    any kept positions first; zeros before them), `weight` channels × taps; no bias or activation."""
    taps = weight.shape[1]
    padded = functional.pad(window.to(weight.dtype), (taps - 1, 0))
    first = padded.shape[-1] - length - taps + 1  # where the first output's taps start
    out = padded[..., first : first + length] * weight[:, :1]
    for tap in range(1, taps):
        out.addcmul_(padded[..., first + tap : first + tap + length], weight[:, tap : tap + 1])
    return out


class DecodingGatedDeltaNet(Qwen3_5GatedDeltaNet):
    """`Qwen3_5GatedDeltaNet` whose one-token step with a cache and whose prompt's convolution are
    computed as above; transformers' own code does the rest, and everything for a cache that records
    its past (assisted decoding) or packed sequences."""

    def forward(
        self,
        hidden_states: torch.Tensor,
        cache: Any = None,
        attention_mask: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        if (
            cache is None
            or cache.is_recording_past(self.layer_idx)
            or any(kwargs.get(name) is not None for name in PACKED)
        ):
            return super().forward(hidden_states, cache=cache, attention_mask=attention_mask, **kwargs)
        conv_state = cache.get_conv_state(self.layer_idx)
        recurrent_state = cache.get_recurrent_state(self.layer_idx)
        if hidden_states.shape[1] == 1 and conv_state is not None and recurrent_state is not None:
            return self._step(hidden_states, attention_mask, cache, conv_state, recurrent_state)
        return self._prompt(hidden_states, attention_mask, cache, recurrent_state)

    def _in_projections(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The query-key-value, z, b and a projections: one int8 product where they are fused."""
        fused = self._modules.get(IN_PROJ)
        if fused is None:
            return tuple(getattr(self, name)(hidden_states) for name in _IN_PROJECTIONS)
        widths = [getattr(self, name).out_features for name in _IN_PROJECTIONS]
        # Each part contiguous, as the layers apart give it (free at one token a step): a prompt's
        # strided parts summed in another order in the chunked rule, and int8's rounding of the next
        # layer's input turned those last-bit differences into logits 1 % apart on the full-size model.
        return tuple(part.contiguous() for part in fused.forward(hidden_states).split(widths, dim=-1))

    def _prompt(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None,
        cache: Any,
        recurrent_state: torch.Tensor | None,
    ) -> torch.Tensor:
        """transformers' prompt path (its chunked rule, from the kept state if any) with the
        convolution above."""
        hidden_states = apply_mask_to_padding_states(hidden_states, attention_mask)
        batch, length, _ = hidden_states.shape
        mixed, z, b, a = self._in_projections(hidden_states)
        mixed = mixed.transpose(1, 2)

        # The cache keeps the last positions and returns them before the prompt's (as transformers').
        taps = self.conv1d.kernel_size[0]
        window = cache.update_conv_state(mixed, self.layer_idx, state_idx=0, conv_kernel_size=taps)
        convolved = causal_conv(window, self.conv1d.weight[:, 0], length)
        if self.conv1d.bias is not None:
            convolved = convolved + self.conv1d.bias[:, None]
        mixed = ACT2FN[self.activation](convolved).to(mixed.dtype).transpose(1, 2)

        query, key, value = torch.split(mixed, [self.key_dim, self.key_dim, self.value_dim], dim=-1)
        query = query.reshape(batch, length, -1, self.head_k_dim)
        key = key.reshape(batch, length, -1, self.head_k_dim)
        value = value.reshape(batch, length, -1, self.head_v_dim)
        beta = b.sigmoid()
        g = -self.A_log.float().exp() * functional.softplus(a.float() + self.dt_bias)
        out, state = modeling_qwen3_5.torch_chunk_gated_delta_rule(
            query,
            key,
            value,
            g=g,
            beta=beta,
            initial_state=recurrent_state,
            output_final_state=True,
            use_qk_l2norm_in_kernel=True,
        )
        cache.update_recurrent_state(state, self.layer_idx)
        out = self.norm(out.reshape(-1, self.head_v_dim), z.reshape(-1, self.head_v_dim))
        return self.out_proj(out.reshape(batch, length, -1))

    def _step(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None,
        cache: Any,
        conv_state: torch.Tensor,
        state: torch.Tensor,
    ) -> torch.Tensor:
        hidden_states = apply_mask_to_padding_states(hidden_states, attention_mask)
        batch = hidden_states.shape[0]
        mixed, z, b, a = self._in_projections(hidden_states)
        mixed, b, a = mixed[:, 0], b[:, 0], a[:, 0]  # batch × channels

        # The causal convolution: the window is the kept last positions and this one. (No call is made
        # where it would change nothing: at one token a step each costs more than its arithmetic.)
        weight = self.conv1d.weight[:, 0]  # channels × kernel
        positions = _positions_first(cache, self.layer_idx, conv_state)
        if positions is not None and mixed.dtype == weight.dtype == positions.dtype:
            taps = kept(self, "_taps", (self.conv1d.weight,), lambda: weight.t().contiguous())
            mixed = convolve_positions_first(positions, mixed, taps)
        else:
            kept_positions = conv_state[..., 1:]
            if kept_positions.dtype != weight.dtype or mixed.dtype != weight.dtype:
                kept_positions, mixed = kept_positions.to(weight.dtype), mixed.to(weight.dtype)
            window = torch.cat((kept_positions, mixed[..., None]), dim=-1)
            conv_state.copy_(window)
            mixed = (window * weight).sum(-1)  # what `linalg.vecdot` computes, in its order
        cache.increase_count(self.layer_idx, 0)  # as transformers' one-token convolution counts the token
        if self.conv1d.bias is not None:
            mixed = mixed + self.conv1d.bias
        mixed = _activation(self.activation, mixed)
        if mixed.dtype != hidden_states.dtype:
            mixed = mixed.to(hidden_states.dtype)

        # The query and the key side by side (batch × 2 × heads × dim): one l2 norm, per head, for both.
        heads, ratio = self.num_k_heads, self.num_v_heads // self.num_k_heads
        qk = mixed[:, : 2 * self.key_dim].reshape(batch, 2, heads, self.head_k_dim)
        value = mixed[:, 2 * self.key_dim :].reshape(batch, -1, self.head_v_dim)
        if mixed.dtype != torch.float32:
            qk, value = qk.float(), value.float()
        beta = b.sigmoid()
        if beta.dtype != torch.float32:
            beta, a = beta.float(), a.float()
        decay_rate = kept(self, "_decay_rate", (self.A_log,), lambda: -self.A_log.float().exp())
        state = state if state.dtype == torch.float32 else state.float()
        out = delta_rule_step(qk, value, beta, a, decay_rate, self.dt_bias, state, ratio)
        cache.update_recurrent_state(state, self.layer_idx)

        if out.dtype != hidden_states.dtype:
            out = out.to(hidden_states.dtype)
        out = gated_rms_norm(self.norm, out.reshape(-1, self.head_v_dim), z.reshape(-1, self.head_v_dim))
        return self.out_proj.forward(out.reshape(batch, 1, -1))  # called directly: ~3 us a call less


def delta_rule_step(
    qk: torch.Tensor,
    value: torch.Tensor,
    beta: torch.Tensor,
    a: torch.Tensor,
    decay_rate: torch.Tensor,
    dt_bias: torch.Tensor,
    state: torch.Tensor,
    ratio: int,
) -> torch.Tensor:
    """One token of the gated delta rule, all in float32: `qk` the query and key side by side (batch × 2
    × key heads × key width) before their l2 norm, each key head serving `ratio` consecutive value heads;
    `value` batch × value heads × value width; `beta` the sigmoid of b; `decay_rate` -exp(A_log). The
    state (the cache's) is read once, for the query and the key, then updated in place. Returns the
    output, batch × value heads × value width."""
    key_width, value_width = qk.shape[-1], value.shape[-1]
    qk = l2norm(qk, dim=-1, eps=1e-6)  # one l2 norm, per head, for both
    qk[:, 0].mul_(key_width**-0.5)  # the query's scale
    if ratio != 1:
        qk = qk.repeat_interleave(ratio, dim=2)
    query, key = qk[:, 0], qk[:, 1]
    beta = beta[..., None]
    decay = (decay_rate * functional.softplus(a + dt_bias)).exp()[..., None]
    read = qk.transpose(1, 2) @ state  # batch × heads × 2 × value width
    delta = torch.addcmul(value, decay, read[:, :, 1], value=-1).mul_(beta)
    out = torch.addcmul(decay * read[:, :, 0], (query * key).sum(-1, keepdim=True), delta)
    state.mul_(decay[..., None])
    state.view(-1, key_width, value_width).baddbmm_(
        key.reshape(-1, key_width, 1), delta.reshape(-1, 1, value_width)
    )
    return out


def _positions_first(cache: Any, layer_idx: int, conv_state: torch.Tensor) -> torch.Tensor | None:
    """The layer's kept window as batch × positions × channels, in place: the cache's window (batch ×
    channels × positions) is made a view of such a tensor at the first step, where the cache holds it
    as transformers' cache does (None elsewhere). The values are the same, only their order in memory
    changes, so transformers' code reading or updating the window is unchanged."""
    positions = conv_state.transpose(1, 2)
    if positions.is_contiguous():
        return positions
    states = getattr(cache.layers[layer_idx], "conv_states", None)
    if not isinstance(states, dict) or states.get(0) is not conv_state:
        return None
    positions = positions.contiguous()
    states[0] = positions.transpose(1, 2)
    return positions


def convolve_positions_first(positions: torch.Tensor, new: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """The causal convolution's output at one new position `new` (batch × channels), `positions` the
    window (batch × positions × channels, contiguous; shifted in place to end with `new`), `taps`
    positions × channels. The window's rows lie one after the other, so the shift is two copies
    and the sum runs over rows (the reduction's vectorised path): 35 against 120 us a layer of
    6144 channels for the shift and sum over the window's last dimension, which walk memory with a
    stride of four. The sum adds the four products in the same order: the same numbers."""
    window = torch.cat((positions[:, 1:], new[:, None]), dim=1)
    positions.copy_(window)
    return window.mul_(taps).sum(1)


def _activation(name: str, x: torch.Tensor) -> torch.Tensor:
    """transformers' activation `name` of `x`; silu called directly (`ACT2FN` makes a module each time)."""
    return functional.silu(x) if name in ("silu", "swish") else ACT2FN[name](x)


def use_fast_decoding(model: torch.nn.Module) -> None:
    """Give every gated delta-net layer of `model` on the processor the step above (in place; again
    after a reload). On a graphics card transformers' path is kept: it uses flash-linear-attention's
    kernels where installed."""
    for module in model.modules():
        if type(module) is Qwen3_5GatedDeltaNet and module.conv1d.weight.device.type == "cpu":
            module.__class__ = DecodingGatedDeltaNet
            fuse_int8_layers_(module, _IN_PROJECTIONS, IN_PROJ)
