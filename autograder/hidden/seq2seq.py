"""Hidden tests for assignment 11 (seq2seq: masking, teacher forcing, Bahdanau attention)."""

import math

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import randn, tensors
from solutions import seq2seq as solution


def _generator(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))


@st.composite
def high_dimensional_masks(draw, dtype):
    """X up to 5-D and 12 steps, lengths 0 and T among them, value -inf or a large negative number."""
    B, T = draw(st.integers(1, 6)), draw(st.integers(1, 12))
    shape = (B, T, *(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 3)))))
    X = randn(_generator(draw), *shape, dtype=dtype, scale=5.0)
    valid_len = draw(tensors((B,), torch.int64, elements=st.sampled_from([0, T, T, 1, max(T - 1, 0)])))
    return Call((X, valid_len), {"value": draw(st.sampled_from([float("-inf"), -1e6, 0.0, 1.0]))})


@st.composite
def extreme_losses(draw, dtype):
    """Wider vocabularies, extreme and tied logits, <pad> targets at the padding, rows and batches without a real token."""
    B, T, V = draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(2, 20))
    values = st.sampled_from([0.0, 1.0, -1.0, 50.0, -50.0, 1e4, -1e4])
    logits = draw(tensors((B, T, V), dtype, elements=values))
    target = draw(tensors((B, T), torch.int64, 0, V - 1))
    valid_len = draw(tensors((B,), torch.int64, elements=st.sampled_from([0, 0, T, 1])))
    target = target.masked_fill(torch.arange(T) >= valid_len[:, None], 0)  # <pad> = 0 after the real tokens
    return Call((logits, target, valid_len), {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))})


@st.composite
def long_and_short_targets(draw, dtype):
    """One step (only <bos> is left), long sequences, large token ids."""
    B, T = draw(st.integers(1, 8)), draw(st.sampled_from([1, 1, 2, 20]))
    V = draw(st.sampled_from([3, 1000, 50000]))
    return Call((draw(tensors((B, T), torch.int64, 0, V - 1)), draw(st.integers(0, V - 1))))


@st.composite
def long_lengths_and_sharp_scores(draw, dtype):
    """More keys, lengths 0 and beyond K (every key valid), large and tied scores (w_v up to 1e3, or zeros)."""
    B, Q, K = draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(1, 10))
    Dq, Dk, Dv, A = (draw(st.integers(1, 6)) for _ in range(4))
    g = _generator(draw)
    queries, keys, values = randn(g, B, Q, Dq, dtype=dtype, scale=2.0), randn(g, B, K, Dk, dtype=dtype, scale=2.0), randn(g, B, K, Dv, dtype=dtype)
    W_q, W_k = randn(g, A, Dq, dtype=dtype), randn(g, A, Dk, dtype=dtype)
    w_v = randn(g, A, dtype=dtype, scale=draw(st.sampled_from([0.0, 1.0, 30.0, 1e3])))
    if draw(st.booleans()):  # duplicated keys: tied scores
        keys, values = keys[:, :1].expand(B, K, Dk).contiguous(), values
    shape = draw(st.sampled_from([(B,), (B, Q)]))
    return Call((queries, keys, values, draw(tensors(shape, torch.int64, 0, K + 2)), W_q, W_k, w_v))


@st.composite
def longer_decoding(draw, dtype):
    """Up to 8 steps and 8 source positions, wider states, sources with no valid position at all (a zero context)."""
    B, T, S = draw(st.integers(1, 5)), draw(st.integers(1, 8)), draw(st.integers(1, 8))
    H = draw(st.integers(2, 6))
    E = draw(st.integers(1, 6).filter(lambda e: e != H))
    A, V = draw(st.integers(1, 6)), draw(st.integers(2, 10))
    g = _generator(draw)
    params = {
        "embedding": randn(g, V, E, dtype=dtype),
        "attn.W_q": randn(g, A, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "attn.W_k": randn(g, A, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "attn.w_v": randn(g, A, dtype=dtype, scale=3.0),
        "rnn.weight_ih": randn(g, 3 * H, H + E, dtype=dtype, scale=1 / math.sqrt(H)),
        "rnn.weight_hh": randn(g, 3 * H, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "rnn.bias_ih": randn(g, 3 * H, dtype=dtype, scale=0.5),
        "rnn.bias_hh": randn(g, 3 * H, dtype=dtype, scale=0.5),
        "dense.weight": randn(g, V, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "dense.bias": randn(g, V, dtype=dtype, scale=0.5),
    }
    Y_in = draw(tensors((B, T), torch.int64, 0, V - 1))
    enc_valid_len = draw(st.none() | tensors((B,), torch.int64, 0, S))
    return Call((Y_in, randn(g, B, H, dtype=dtype), randn(g, B, S, H, dtype=dtype), enc_valid_len, params))


HIDDEN = {
    "sequence_mask": (
        replace_inputs(agrees_with_solution(solution.sequence_mask), high_dimensional_masks, "5-D inputs and a -inf fill"),
    ),
    "masked_cross_entropy": (
        replace_inputs(agrees_with_solution(solution.masked_cross_entropy), extreme_losses, "extreme logits and empty sequences"),
    ),
    "teacher_forcing_inputs": (
        replace_inputs(agrees_with_solution(solution.teacher_forcing_inputs), long_and_short_targets, "one-step and long targets"),
    ),
    "additive_attention": (
        replace_inputs(agrees_with_solution(solution.additive_attention), long_lengths_and_sharp_scores, "long lengths and sharp scores"),
    ),
    "attention_decoder_forward": (
        replace_inputs(agrees_with_solution(solution.attention_decoder_forward, conditioned=True), longer_decoding, "longer sequences"),
    ),
}
