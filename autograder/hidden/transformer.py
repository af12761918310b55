"""Hidden tests for assignment 16 (Transformer blocks)."""

import math

import torch
from hypothesis import assume
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import randn, tensors
from solutions import transformer as solution


def _generator(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))


@st.composite
def empty_and_long_masks(draw, dtype):
    """L = 0 (an empty mask), 1, and long sequences, with and without device='cpu'."""
    L = draw(st.sampled_from([0, 1, 2, 33, 128]))
    return Call((L,), {"device": "cpu"} if draw(st.booleans()) else {})


@st.composite
def wide_networks(draw, dtype):
    """Up to 3 leading axes, wider layers, large inputs and strongly negative first-layer biases (most units off)."""
    lead = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 3))))
    E, Fd = draw(st.integers(1, 12)), draw(st.integers(1, 24))
    g = _generator(draw)
    X = randn(g, *lead, E, dtype=dtype, scale=draw(st.sampled_from([1.0, 30.0])))
    b1 = randn(g, Fd, dtype=dtype) - draw(st.sampled_from([0.0, 3.0]))
    return Call((X, randn(g, Fd, E, dtype=dtype, scale=1 / math.sqrt(E)), b1, randn(g, E, Fd, dtype=dtype, scale=1 / math.sqrt(Fd)), randn(g, E, dtype=dtype)))


@st.composite
def offset_and_wide_rows(draw, dtype):
    """Rows of up to 64 features with a common offset (the mean must be subtracted), Y = -X + small (the residual cancels), eps up to 10."""
    lead = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 2))))
    E = draw(st.sampled_from([2, 3, 16, 64]))
    g = _generator(draw)
    X = randn(g, *lead, E, dtype=dtype, scale=2.0) + draw(st.sampled_from([0.0, 5.0, -5.0]))
    Y = randn(g, *lead, E, dtype=dtype, scale=2.0)
    if draw(st.booleans()):
        Y = -X + randn(g, *lead, E, dtype=dtype)  # the sum has spread 1 whatever X's offset
    assume(bool(((X + Y).double().std(dim=-1, unbiased=False) >= 0.5).all()))  # no (nearly) constant row: see MIN_STD
    weight, bias = randn(g, E, dtype=dtype), randn(g, E, dtype=dtype)
    eps = draw(st.sampled_from([None, 1e-5, 1e-2, 10.0]))
    return Call((X, Y, weight, bias), {} if eps is None else {"eps": eps})


def _layer_params(g, E, Fd, dtype, decoder=False):
    names = ["self_attn", "multihead_attn"] if decoder else ["self_attn"]
    params = {}
    for attn in names:
        params[f"{attn}.in_proj_weight"] = randn(g, 3 * E, E, dtype=dtype, scale=2 / math.sqrt(E))
        params[f"{attn}.in_proj_bias"] = randn(g, 3 * E, dtype=dtype, scale=0.5)
        params[f"{attn}.out_proj.weight"] = randn(g, E, E, dtype=dtype, scale=1 / math.sqrt(E))
        params[f"{attn}.out_proj.bias"] = randn(g, E, dtype=dtype, scale=0.5)
    params["linear1.weight"] = randn(g, Fd, E, dtype=dtype, scale=1 / math.sqrt(E))
    params["linear1.bias"] = randn(g, Fd, dtype=dtype, scale=0.5)
    params["linear2.weight"] = randn(g, E, Fd, dtype=dtype, scale=1 / math.sqrt(Fd))
    params["linear2.bias"] = randn(g, E, dtype=dtype, scale=0.5)
    for norm in ["norm1", "norm2", "norm3"] if decoder else ["norm1", "norm2"]:
        params[f"{norm}.weight"] = 1 + randn(g, E, dtype=dtype, scale=0.5)
        params[f"{norm}.bias"] = randn(g, E, dtype=dtype, scale=0.5)
    return params


def _bool_padding(g, B, n):
    padding = torch.rand(B, n, generator=g) < 0.4
    padding[:, 0] = False  # every query keeps a key
    return padding


@st.composite
def long_sequences_and_per_head_masks(draw, dtype):
    """encoder_block on up to 9 positions, 4 heads, per-head (B*H, L, L) masks with the diagonal always allowed, float masks."""
    B, L = draw(st.integers(1, 4)), draw(st.integers(1, 9))
    H = draw(st.sampled_from([1, 2, 4]))
    E, Fd = H * draw(st.integers(2, 3)), draw(st.integers(1, 16))
    g = _generator(draw)
    X = randn(g, B, L, E, dtype=dtype)
    kind = draw(st.sampled_from(["none", "bool", "float"]))
    kwargs = {}
    if kind == "bool":
        attn = torch.rand(B * H, L, L, generator=g) < 0.5
        attn[:, torch.arange(L), torch.arange(L)] = False  # each position may always see itself
        kwargs = {"attn_mask": attn, "key_padding_mask": torch.zeros(B, L, dtype=torch.bool)}
    elif kind == "float":
        kwargs = {"attn_mask": randn(g, L, L, dtype=dtype, scale=2.0), "key_padding_mask": randn(g, B, L, dtype=dtype)}
    return Call((X, _layer_params(g, E, Fd, dtype), H), kwargs)


@st.composite
def long_decoding(draw, dtype):
    """decoder_block on up to 9 targets and 9 memory positions, 4 heads, the causal mask with both padding masks, per-head masks."""
    B, L, S = draw(st.integers(1, 4)), draw(st.integers(1, 9)), draw(st.integers(1, 9))
    H = draw(st.sampled_from([1, 2, 4]))
    E, Fd = H * draw(st.integers(2, 3)), draw(st.integers(1, 16))
    g = _generator(draw)
    X, memory = randn(g, B, L, E, dtype=dtype), randn(g, B, S, E, dtype=dtype, scale=2.0)
    kind = draw(st.sampled_from(["causal", "causal", "per_head", "none"]))
    kwargs = {"memory_key_padding_mask": _bool_padding(g, B, S)}
    if kind == "causal":
        kwargs.update(tgt_mask=torch.ones(L, L, dtype=torch.bool).triu(1), tgt_key_padding_mask=_bool_padding(g, B, L))
    elif kind == "per_head":
        tgt = torch.rand(B * H, L, L, generator=g) < 0.5
        tgt[:, torch.arange(L), torch.arange(L)] = False
        kwargs["tgt_mask"] = tgt
    return Call((X, memory, _layer_params(g, E, Fd, dtype, decoder=True), H), kwargs)


@st.composite
def large_vocabularies(draw, dtype):
    """Vocabularies up to 1000, widths up to 64, L = max_len exactly or far shorter, B = 1."""
    B, L = draw(st.sampled_from([1, 1, 5])), draw(st.integers(1, 12))
    V, E = draw(st.sampled_from([1, 2, 1000])), draw(st.sampled_from([2, 7, 64]))
    g = _generator(draw)
    tokens = torch.randint(0, V, (B, L), generator=g)
    return Call((tokens, randn(g, V, E, dtype=dtype), randn(g, L + draw(st.sampled_from([0, 50])), E, dtype=dtype)))


@st.composite
def extreme_smoothing(draw, dtype):
    """Up to 50 classes, extreme and tied logits, eps 0 or 1, ignore_index a class id, every target ignored for 'sum' and 'none'."""
    N, C = draw(st.integers(1, 8)), draw(st.sampled_from([2, 3, 50]))
    values = st.sampled_from([0.0, 1.0, -1.0, 50.0, -50.0, 1e4, -1e4])
    logits = draw(tensors((N, C), dtype, elements=values))
    target = draw(tensors((N,), torch.int64, 0, C - 1))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    kwargs = {"smoothing": draw(st.sampled_from([0.0, 1.0, 0.1, 0.5])), "reduction": reduction}
    if draw(st.booleans()):
        kwargs["ignore_index"] = 0  # <pad> = 0
        if reduction == "mean" and (target == 0).all():
            target[0] = 1
    elif reduction != "mean" and draw(st.booleans()):
        target = torch.full_like(target, -100)  # nothing counts: 0 for 'sum', zeros for 'none'
    return Call((logits, target), kwargs)


HIDDEN = {
    "causal_mask": (
        replace_inputs(agrees_with_solution(solution.causal_mask), empty_and_long_masks, "empty and long masks"),
    ),
    "position_wise_ffn": (
        replace_inputs(agrees_with_solution(solution.position_wise_ffn), wide_networks, "wide layers and large inputs"),
    ),
    "add_norm": (
        replace_inputs(agrees_with_solution(solution.add_norm), offset_and_wide_rows, "offset and wide rows"),
    ),
    "encoder_block": (
        replace_inputs(agrees_with_solution(solution.encoder_block), long_sequences_and_per_head_masks, "longer sequences and per-head masks"),
    ),
    "decoder_block": (
        replace_inputs(agrees_with_solution(solution.decoder_block), long_decoding, "longer sequences and per-head masks"),
    ),
    "embed_tokens": (
        replace_inputs(agrees_with_solution(solution.embed_tokens), large_vocabularies, "large vocabularies"),
    ),
    "label_smoothing_cross_entropy": (
        replace_inputs(agrees_with_solution(solution.label_smoothing_cross_entropy), extreme_smoothing, "extreme logits and ignored targets"),
    ),
}
