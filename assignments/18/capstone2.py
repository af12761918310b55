"""Assignment 18 (capstone 2): a tiny Transformer that reverses digit strings, built from your own pieces.

This module must be self-contained: the grader runs this one file, alone. Paste (or write
again) the pieces you built in earlier assignments into the section below: layer_norm (05),
multi_head_attention and positional_encoding (08), adam and warmup_cosine_lr (09),
masked_cross_entropy and teacher_forcing_inputs (11), and the Transformer blocks of 16
(causal_mask, position_wise_ffn, add_norm, encoder_block, decoder_block, embed_tokens).
Then assemble them into the network of PARAM_SHAPES, decode greedily, and train it.

torch.nn (including torch.nn.functional) and torch.optim are off limits here, and so are
torch's own attention, normalisation, softmax and loss routines; torch.autograd is allowed:
you do not need to write backward passes by hand.

Run `python assignments/18/capstone2.py` to train on the 2000 training strings and print the
exact-match accuracy of greedy decoding on the 500 test strings.
"""

from __future__ import annotations

import math  # noqa: F401 (math.sqrt for the scales, math.cos and math.pi for the schedule)

import torch

# ---------------------------------------------------------------- the task and the architecture (fixed)

PAD, BOS, EOS = 0, 1, 2  # the digits 0..9 are the tokens 3..12
VOCAB_SIZE = 13
MAX_LEN = 7  # 6 digits and EOS: every target has 7 tokens, and greedy_decode emits 7
D_MODEL, NUM_HEADS, FFN_HIDDEN = 32, 4, 64
STEPS = 200  # the grader calls train(seed, src=..., tgt=...) with steps=STEPS

# Parameter names: "embedding.weight" (one table for source and target tokens), then the
# state_dict keys of nn.TransformerEncoderLayer(32, 4, 64) under "encoder." and of
# nn.TransformerDecoderLayer(32, 4, 64) under "decoder.", then the output layer (nn.Linear(32, 13)
# layout: logits = h @ output.weight.T + output.bias).
_E, _F = D_MODEL, FFN_HIDDEN
_ATTENTION = {"in_proj_weight": (3 * _E, _E), "in_proj_bias": (3 * _E,), "out_proj.weight": (_E, _E), "out_proj.bias": (_E,)}
_FFN = {"linear1.weight": (_F, _E), "linear1.bias": (_F,), "linear2.weight": (_E, _F), "linear2.bias": (_E,)}
_NORM = {"weight": (_E,), "bias": (_E,)}
PARAM_SHAPES: dict[str, tuple[int, ...]] = {
    "embedding.weight": (VOCAB_SIZE, _E),
    **{f"encoder.self_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"encoder.{k}": v for k, v in _FFN.items()},
    **{f"encoder.norm{i}.{k}": v for i in (1, 2) for k, v in _NORM.items()},
    **{f"decoder.self_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"decoder.multihead_attn.{k}": v for k, v in _ATTENTION.items()},
    **{f"decoder.{k}": v for k, v in _FFN.items()},
    **{f"decoder.norm{i}.{k}": v for i in (1, 2, 3) for k, v in _NORM.items()},
    "output.weight": (VOCAB_SIZE, _E),
    "output.bias": (VOCAB_SIZE,),
}

# The training recipe of the reference solution (yours may differ; only the bar is graded).
BATCH_SIZE = 64
LEARNING_RATE = 5e-3
WARMUP_STEPS = 50
BETAS = (0.9, 0.98)


# ---------------------------------------------------------------- your pieces from earlier assignments


def layer_norm(X: torch.Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> torch.Tensor:
    """Layer normalisation over the trailing dims, like F.layer_norm (biased variance)."""
    raise NotImplementedError("TODO: implement this function")


def multi_head_attention(
    query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, key_padding_mask=None, attn_mask=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """nn.MultiheadAttention(E, num_heads, batch_first=True) with the given weights -> (output (B, L, E), mean weights (B, L, S)).

    Boolean masks are True where attending is NOT allowed: key_padding_mask (B, S), attn_mask (L, S).
    """
    raise NotImplementedError("TODO: implement this function")


def positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The sinusoidal table (max_len, d_model), float32: P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...)."""
    raise NotImplementedError("TODO: implement this function")


def adam(w: torch.Tensor, dw: torch.Tensor, config: dict | None = None) -> tuple[torch.Tensor, dict]:
    """One Adam step, as torch.optim.Adam: returns (next_w, new config with the updated state).

    config: "lr" (1e-3), "betas" ((0.9, 0.999)), "eps" (1e-8), "weight_decay" (0.0); state
    "exp_avg", "exp_avg_sq" (zeros at first), "step" (t).
    """
    raise NotImplementedError("TODO: implement this function")


def warmup_cosine_lr(step: int, base_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Linear warm-up from 0 to base_lr over warmup_steps, then cosine decay to min_lr at total_steps."""
    raise NotImplementedError("TODO: implement this function")


def masked_cross_entropy(logits: torch.Tensor, target: torch.Tensor, valid_len: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Per-token cross-entropy, zero at the padding: logits (B, T, V), target (B, T), valid_len (B,) (EOS counted).

    "mean" divides the sum by valid_len.sum() (a token-level mean; 0.0 when there is no real token).
    """
    raise NotImplementedError("TODO: implement this function")


def teacher_forcing_inputs(Y: torch.Tensor, bos_id: int) -> torch.Tensor:
    """<bos>, then Y shifted right by one: (B, T) -> (B, T)."""
    raise NotImplementedError("TODO: implement this function")


def causal_mask(L: int, *, device=None) -> torch.Tensor:
    """(L, L) bool, True above the diagonal (query i must not see key j > i)."""
    raise NotImplementedError("TODO: implement this function")


def position_wise_ffn(X, W1, b1, W2, b2) -> torch.Tensor:
    """relu(X @ W1.T + b1) @ W2.T + b2."""
    raise NotImplementedError("TODO: implement this function")


def add_norm(X, Y, weight, bias, eps: float = 1e-5) -> torch.Tensor:
    """layer_norm(X + Y) over the last axis."""
    raise NotImplementedError("TODO: implement this function")


def encoder_block(X, params, num_heads, key_padding_mask=None, attn_mask=None) -> torch.Tensor:
    """nn.TransformerEncoderLayer (post-norm, ReLU, no dropout) with the state_dict `params`."""
    raise NotImplementedError("TODO: implement this function")


def decoder_block(X, memory, params, num_heads, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None) -> torch.Tensor:
    """nn.TransformerDecoderLayer (post-norm, ReLU, no dropout) with the state_dict `params`."""
    raise NotImplementedError("TODO: implement this function")


def embed_tokens(tokens: torch.Tensor, table: torch.Tensor, pos_table: torch.Tensor) -> torch.Tensor:
    """table[tokens] * sqrt(E) + pos_table[:L]: (B, L) int64 -> (B, L, E)."""
    raise NotImplementedError("TODO: implement this function")


# ---------------------------------------------------------------- graded functions


def _block(params: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The entries of `params` under `prefix` ("encoder." or "decoder."), with the prefix removed."""
    return {name[len(prefix) :]: value for name, value in params.items() if name.startswith(prefix)}


def init_params(seed: int = 0) -> dict[str, torch.Tensor]:
    """Fresh parameters for the network of PARAM_SHAPES, float32 on the CPU, from `seed` alone.

    Every name and shape of PARAM_SHAPES. Every weight matrix random with a standard deviation
    of about 1/sqrt(fan_in), fan_in being its number of columns (in_features; for the
    embedding table, E = 32: then the embedded tokens, scaled by sqrt(E), have a standard
    deviation about 1, the scale of the positional encoding); every bias 0; every layer
    norm at weight 1 and bias 0. Draw from a torch.Generator seeded with `seed`: the same seed
    gives the same parameters whatever the state of torch's global generator.
    """
    raise NotImplementedError("TODO: implement this function")


def forward(src: torch.Tensor, dec_in: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
    """The whole network under teacher forcing: src (N, S), dec_in (N, T) int64 -> logits (N, T, 13).

    1. Embed both sequences with the one table: embedding[tokens] * sqrt(32) plus the
       positional encoding of their positions 0, 1, ... (embed_tokens, positional_encoding).
    2. memory = encoder_block(source embeddings), with key_padding_mask = (src == PAD).
    3. h = decoder_block(target embeddings, memory), with tgt_mask = causal_mask(T) and
       memory_key_padding_mask = (src == PAD); 4 heads in both blocks.
    4. logits = h @ output.weight.T + output.bias.
    Logit t is the prediction of the token after dec_in[:, :t+1]: with dec_in =
    teacher_forcing_inputs(tgt, BOS) it is scored against tgt[:, t]. Works in the params'
    dtype and on src's device (params must be there too).
    """
    raise NotImplementedError("TODO: implement this function")


def greedy_decode(src: torch.Tensor, params: dict[str, torch.Tensor], max_len: int = MAX_LEN) -> torch.Tensor:
    """Greedy decoding: src (N, S) int64 -> tokens (N, max_len) int64, on src's device.

    Start every row's decoder input with BOS; at each of max_len steps, run the network on
    the input so far and append the argmax of the LAST position's logits (the lowest token id
    wins a tie, as torch.argmax). Exactly max_len tokens per row, BOS not included. A row that
    has emitted EOS is finished: every position after its first EOS is PAD, so that a decoded
    row equals its target (digits reversed, EOS, then padding) token for token.
    """
    raise NotImplementedError("TODO: implement this function")


def train(seed: int = 0, src: torch.Tensor | None = None, tgt: torch.Tensor | None = None, steps: int = STEPS) -> dict[str, torch.Tensor]:
    """Train the network on the pairs (src (N, S), tgt (N, T), int64) for `steps` updates -> params.

    Without src and tgt it trains on the 2000 training strings, datasets.reversal_tensors("train");
    the grader always passes the data (its sandbox has no datasets package), also a few strings
    for a few steps in the quick checks.

    Start from init_params(seed) and seed torch's global generator with `seed` (your batches
    draw from it), so a run is reproducible. Each step: a random minibatch of pairs, the
    decoder's input teacher_forcing_inputs(tgt, BOS), forward, masked_cross_entropy over the
    real target tokens (EOS included, padding not), gradients with torch.autograd, and your
    Adam's update with a warm-up (a learning rate growing linearly over the first steps, then
    decaying). Choose the batch size, learning rate and schedule yourself; `steps` is given.

    Returns the final params (every key of PARAM_SHAPES, float32, detached, on src's device).
    The grader runs them through its own reference network: greedy decoding of the 500 test
    strings must reverse enough of them exactly (the bar in the README).
    """
    raise NotImplementedError("TODO: implement this function")


def exact_match(predicted: torch.Tensor, tgt: torch.Tensor) -> float:
    """Fraction of rows decoded exactly: every token equal, EOS and padding included."""
    return (predicted == tgt).all(dim=1).double().mean().item()


if __name__ == "__main__":  # python assignments/18/capstone2.py (with the kit installed: ./setup.sh)
    import time

    from datasets import reversal_tensors

    src_train, tgt_train = reversal_tensors("train")
    src_test, tgt_test = reversal_tensors("test")
    started = time.perf_counter()
    params = train(0, src_train, tgt_train)
    print(f"trained {STEPS} steps in {time.perf_counter() - started:.1f} s")
    with torch.no_grad():
        predicted = greedy_decode(src_test, params)
    print(f"exact match on the {len(src_test)} test strings: {exact_match(predicted, tgt_test):.1%}")
    for s, p in zip(src_test[:3].tolist(), predicted[:3].tolist(), strict=True):
        print(f"  {s} -> {p}")
