"""Hidden tests for assignment 08 (attention)."""

import math

import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import tensors
from solutions import attention as solution


@st.composite
def long_rows_and_long_lengths(draw, dtype):
    """Wider score tables, extreme and tied scores, lengths 0 and beyond K (= every key valid)."""
    b, q, k = draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(1, 12))
    values = st.sampled_from([0.0, 1.0, -1.0, 50.0, -50.0, 1e4, -1e4, 3e4])
    X = draw(tensors((b, q, k), dtype, elements=values))
    shape = draw(st.sampled_from([(b,), (b, q)]))
    return Call((X, draw(tensors(shape, torch.int64, 0, k + 2))))


@st.composite
def four_dim_attention(draw, dtype):
    """(B, H, L, E) inputs and a shared (L, S) mask of any kind."""
    B, H, L, S, E, Ev = (draw(st.integers(1, n)) for n in (2, 3, 6, 7, 8, 5))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    size = draw(st.sampled_from([0.5, 1.0, 2.0]))
    query = torch.randn(B, H, L, E, generator=g, dtype=dtype) * size
    key = torch.randn(B, H, S, E, generator=g, dtype=dtype) * size
    value = torch.randn(B, H, S, Ev, generator=g, dtype=dtype)
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    if kind == "causal":
        return Call((query, key, value), {"is_causal": True})
    if kind == "bool":
        return Call((query, key, value), {"attn_mask": torch.rand(L, S, generator=g) < 0.7})
    if kind == "float":
        mask = torch.randn(L, S, generator=g, dtype=dtype).masked_fill(torch.rand(L, S, generator=g) < 0.2, -math.inf)
        return Call((query, key, value), {"attn_mask": mask})
    return Call((query, key, value))


@st.composite
def wider_heads(draw, dtype):
    """E up to 16 with 4 heads, longer sequences, both mask kinds at once."""
    B, L, S = draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7))
    H = draw(st.sampled_from([1, 2, 4]))
    E = H * draw(st.integers(1, 4))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    query = torch.randn(B, L, E, generator=g, dtype=dtype)
    key = torch.randn(B, S, E, generator=g, dtype=dtype)
    value = torch.randn(B, S, E, generator=g, dtype=dtype)
    in_w = torch.randn(3 * E, E, generator=g, dtype=dtype) / math.sqrt(E)
    out_w = torch.randn(E, E, generator=g, dtype=dtype) / math.sqrt(E)
    in_b, out_b = torch.randn(3 * E, generator=g, dtype=dtype), torch.randn(E, generator=g, dtype=dtype)
    padding = torch.rand(B, S, generator=g) < 0.3
    padding[:, 0] = False  # every query keeps at least key 0
    attn = torch.rand(B * H, L, S, generator=g) < 0.3
    attn[..., 0] = False
    return Call((query, key, value, H, in_w, in_b, out_w, out_b), {"key_padding_mask": padding, "attn_mask": attn})


@st.composite
def long_tables(draw, dtype):
    return Call((draw(st.integers(1, 128)), draw(st.integers(1, 64))))


HIDDEN = {
    "masked_softmax": (
        replace_inputs(agrees_with_solution(solution.masked_softmax), long_rows_and_long_lengths, "extreme scores and long lengths"),
    ),
    "scaled_dot_product_attention": (
        replace_inputs(agrees_with_solution(solution.scaled_dot_product_attention), four_dim_attention, "4-D inputs"),
    ),
    "multi_head_attention": (
        replace_inputs(agrees_with_solution(solution.multi_head_attention), wider_heads, "wider heads with both masks"),
    ),
    "positional_encoding": (
        replace_inputs(agrees_with_solution(solution.positional_encoding), long_tables, "long tables"),
    ),
}
