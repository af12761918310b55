"""Public tests for assignment 08 (attention).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/08
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import floats, randn, seeded, shapes, tensors

NEG_INF = float("-inf")
# Attention sums many products; a correct float32 answer computed in another order can
# differ from PyTorch's by a few 1e-5 relative. Every mistake the tests target is far larger.
ATTENTION_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5)}

# ---------------------------------------------------------------- inputs: masked_softmax


@st.composite
def scores_with_lengths(draw, dtype, low=-10.0, high=10.0, lengths=("none", "batch", "row"), empty_row=False):
    """masked_softmax(X (B, Q, K), valid_lens None | (B,) | (B, Q) int64 in [0, K])."""
    b, q, k = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    X = draw(tensors((b, q, k), dtype, low, high))
    kind = draw(st.sampled_from(lengths))
    if kind == "none":
        return Call((X, None))
    lens = draw(tensors((b,) if kind == "batch" else (b, q), torch.int64, 0, k))
    if empty_row:
        lens.view(-1)[draw(st.integers(0, lens.numel() - 1))] = 0
    return Call((X, lens))


def huge_scores(dtype):
    return scores_with_lengths(dtype, -1e4, 1e4)


def with_empty_rows(dtype):
    return scores_with_lengths(dtype, lengths=("batch", "row"), empty_row=True)


def batch_lengths(dtype):
    return scores_with_lengths(dtype, lengths=("batch",))


def valid_positions(X: torch.Tensor, valid_lens: torch.Tensor | None) -> torch.Tensor:
    """(B, Q, K) bool: True at keys inside the valid length."""
    if valid_lens is None:
        return torch.ones(X.shape, dtype=torch.bool)
    lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(X.shape[:2])
    return torch.arange(X.shape[-1]) < lens[..., None]


def reference_masked_softmax(X, valid_lens):
    allowed = valid_positions(X, valid_lens)
    return torch.softmax(X.masked_fill(~allowed, NEG_INF), dim=-1).nan_to_num(0.0)


# ---------------------------------------------------------------- inputs: attention


@st.composite
def attention_inputs(draw, dtype, masks=("none", "bool", "float"), causal=False, low=-3.0, high=3.0):
    """scaled_dot_product_attention(query (..., L, E), key (..., S, E), value (..., S, Ev), ...).

    Boolean masks may forbid a whole row (PyTorch then returns zeros); float masks mix finite
    values with -inf. A mask is (L, S) or has the full batch shape.
    """
    batch = draw(shapes(1, 2, 1, 3))
    L, S, E, Ev = (draw(st.integers(1, n)) for n in (4, 5, 4, 4))
    query = draw(tensors((*batch, L, E), dtype, low, high))
    key = draw(tensors((*batch, S, E), dtype, low, high))
    value = draw(tensors((*batch, S, Ev), dtype, -3, 3))
    if causal:
        return Call((query, key, value), {"is_causal": True})
    kind = draw(st.sampled_from(masks))
    if kind == "none":
        return Call((query, key, value))
    mask_shape = draw(st.sampled_from([(L, S), (*batch, L, S)]))
    if kind == "bool":
        mask = draw(tensors(mask_shape, torch.bool, elements=st.booleans()))
    else:
        mask = draw(tensors(mask_shape, dtype, elements=floats(dtype, -5, 5) | st.just(NEG_INF)))
    return Call((query, key, value), {"attn_mask": mask})


def causal_inputs(dtype):
    return attention_inputs(dtype, causal=True)


@st.composite
def masked_or_causal(draw, dtype):
    return draw(attention_inputs(dtype, masks=("bool", "float")) | attention_inputs(dtype, causal=True))


@st.composite
def fully_masked_row(draw, dtype):
    """A boolean mask with at least one row that allows no key at all."""
    call = draw(attention_inputs(dtype, masks=("bool",)))
    mask = call.kwargs["attn_mask"].clone()
    mask[..., draw(st.integers(0, mask.shape[-2] - 1)), :] = False
    return call.replace(attn_mask=mask)


def large_scores(dtype):
    return attention_inputs(dtype, low=-80.0, high=80.0)


def allowed_keys(call: Call) -> torch.Tensor:
    """Bool, broadcast to the weights' shape: True where a query may attend to a key."""
    query, key = call.args[0], call.args[1]
    shape = torch.broadcast_shapes(query.shape[:-1], key.shape[:-2] + (1,))[:-1] + (query.shape[-2], key.shape[-2])
    if call.kwargs.get("is_causal"):
        allowed = torch.ones(shape[-2:], dtype=torch.bool).tril()
    else:
        mask = call.kwargs.get("attn_mask")
        if mask is None:
            allowed = torch.ones(shape, dtype=torch.bool)
        else:
            allowed = mask if mask.dtype == torch.bool else mask != NEG_INF
    return allowed.expand(shape)


def reference_weights(query, key, value, attn_mask=None, is_causal=False):
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if is_causal:
        attn_mask = torch.ones(scores.shape[-2:], dtype=torch.bool).tril()
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, NEG_INF) if attn_mask.dtype == torch.bool else scores + attn_mask
    return torch.softmax(scores, dim=-1).nan_to_num(0.0)


def reference_sdpa_output(query, key, value, attn_mask=None, is_causal=False):
    return F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask, is_causal=is_causal)


# ---------------------------------------------------------------- inputs: multi-head attention


@st.composite
def mha_inputs(draw, dtype, masks=("none", "bool", "float"), mask_dims=(2, 3), heads=(1, 2, 3), self_attention=None):
    """multi_head_attention(query (B, L, E), key (B, S, E), value (B, S, E), H, weights, masks).

    Projection weights come from a drawn seed (they are large); no row is fully masked
    (nn.MultiheadAttention returns NaN there).
    """
    B, L, S = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    H = draw(st.sampled_from(heads))
    E = H * draw(st.integers(1, 2))
    if self_attention if self_attention is not None else draw(st.booleans()):
        S = L
        query = key = value = draw(tensors((B, L, E), dtype, -2, 2))
    else:
        query = draw(tensors((B, L, E), dtype, -2, 2))
        key = draw(tensors((B, S, E), dtype, -2, 2))
        value = draw(tensors((B, S, E), dtype, -2, 2))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    scale = 1 / math.sqrt(E)
    in_w = torch.randn(3 * E, E, generator=g, dtype=dtype) * scale * 2
    out_w = torch.randn(E, E, generator=g, dtype=dtype) * scale
    biased = draw(st.booleans())
    in_b = torch.randn(3 * E, generator=g, dtype=dtype) * 0.5 if biased else None
    out_b = torch.randn(E, generator=g, dtype=dtype) * 0.5 if biased else None
    kwargs = {}
    kind = draw(st.sampled_from(masks))
    if kind != "none":
        mask_shape = (L, S) if draw(st.sampled_from(mask_dims)) == 2 else (B * H, L, S)
        if kind == "bool":
            padding = draw(tensors((B, S), torch.bool, elements=st.booleans())) if draw(st.booleans()) else None
            attn = draw(tensors(mask_shape, torch.bool, elements=st.booleans())) if padding is None or draw(st.booleans()) else None
            padding, attn = unmask_empty_rows(padding, attn, B, H, L, S)
        else:
            padding = draw(tensors((B, S), dtype, -3, 3)) if draw(st.booleans()) else None
            attn = draw(tensors(mask_shape, dtype, -3, 3)) if padding is None or draw(st.booleans()) else None
        if padding is not None:
            kwargs["key_padding_mask"] = padding
        if attn is not None:
            kwargs["attn_mask"] = attn
    return Call((query, key, value, H, in_w, in_b, out_w, out_b), kwargs)


def unmask_empty_rows(padding, attn, B, H, L, S):
    """Allow key l % S in every (batch, head, query) row that forbids all keys."""
    forbidden = torch.zeros(B, H, L, S, dtype=torch.bool)
    if padding is not None:
        forbidden |= padding[:, None, None, :]
    if attn is not None:
        forbidden |= attn.reshape(B, H, L, S) if attn.dim() == 3 else attn
    for b, h, row in forbidden.all(-1).nonzero().tolist():
        if padding is not None:
            padding[b, row % S] = False
        if attn is not None:
            attn[(b * H + h) if attn.dim() == 3 else ..., row, row % S] = False
    return padding, attn


def bool_masks(dtype):
    return mha_inputs(dtype, masks=("bool",))


def per_head_masks(dtype):
    return mha_inputs(dtype, masks=("bool", "float"), mask_dims=(3,), heads=(2, 3))


def several_heads(dtype):
    return mha_inputs(dtype, masks=("none",), heads=(2, 3))


def reference_mha(query, key, value, num_heads, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                  key_padding_mask=None, attn_mask=None):
    E = query.shape[-1]
    mha = torch.nn.MultiheadAttention(E, num_heads, bias=in_proj_bias is not None, batch_first=True, dtype=query.dtype)
    with torch.no_grad():
        mha.in_proj_weight.copy_(in_proj_weight)
        mha.out_proj.weight.copy_(out_proj_weight)
        if in_proj_bias is not None:
            mha.in_proj_bias.copy_(in_proj_bias)
            mha.out_proj.bias.copy_(out_proj_bias)
        output, weights = mha(query, key, value, key_padding_mask=key_padding_mask, attn_mask=attn_mask)
    return output, weights


# ---------------------------------------------------------------- inputs: positional encoding


@st.composite
def table_sizes(draw, dtype, odd=False):
    d_model = draw(st.integers(0, 7)) * 2 + 1 if odd else draw(st.integers(1, 16))
    return Call((draw(st.integers(1, 40)), d_model))


def odd_sizes(dtype):
    return table_sizes(dtype, odd=True)


def formula_table(max_len: int, d_model: int) -> torch.Tensor:
    """P[p, j] from the definition, one element at a time (column j belongs to pair i = j // 2)."""
    rows = []
    for p in range(max_len):
        row = []
        for j in range(d_model):
            angle = p / 10000 ** (2 * (j // 2) / d_model)
            row.append(math.sin(angle) if j % 2 == 0 else math.cos(angle))
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64).float()


# ---------------------------------------------------------------- properties: masked_softmax


def masked_keys_zero_rows_sum_to_one(t: Trial) -> None:
    X, valid_lens = t.call.args
    out, allowed = t.output, valid_positions(X, valid_lens)
    if (out[~allowed] != 0).any():
        raise AssertionError("keys at or beyond the valid length must get weight exactly 0")
    if not torch.isfinite(out).all() or (out < 0).any():
        raise AssertionError("weights must be finite and >= 0")
    sums = out.sum(-1)
    expected = allowed.any(-1).to(out.dtype)
    t.assert_close(sums, expected, "row sums (1, or 0 for a row with valid length 0)", scale=10)


def empty_rows_are_zero(t: Trial) -> None:
    X, valid_lens = t.call.args
    out = t.output
    if torch.isnan(out).any():
        raise AssertionError("NaN in the output: a row with valid length 0 must be all zeros")
    empty = ~valid_positions(X, valid_lens).any(-1)
    if (out[empty] != 0).any():
        raise AssertionError("a row with valid length 0 must be all zeros (not a uniform 1/K row)")
    t.assert_close(out, t.expected(reference_masked_softmax))


def batch_lengths_apply_to_every_row(t: Trial) -> None:
    X, valid_lens = t.call.args
    per_row = valid_lens[:, None].expand(X.shape[:2]).contiguous()
    t.assert_close(t.output, t.run(t.call.replace(X, per_row)), "valid_lens (B,) compared with the same lengths as (B, Q)")


def matches_reference(reference, what="output"):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference), what)

    return verify


# ---------------------------------------------------------------- properties: attention


def output_matches_sdpa(t: Trial) -> None:
    out = t.output
    if not isinstance(out, tuple) or len(out) != 2:
        raise AssertionError("return a tuple (output, weights)")
    t.assert_close(out[0], t.expected(reference_sdpa_output), "output compared with F.scaled_dot_product_attention")


def weights_are_masked_softmax(t: Trial) -> None:
    weights = t.output[1]
    allowed = allowed_keys(t.call)
    if weights.shape != allowed.shape:
        raise AssertionError(f"weights: expected shape {tuple(allowed.shape)}, got {tuple(weights.shape)}")
    if (weights[~allowed] != 0).any():
        raise AssertionError("weights must be exactly 0 where attending is not allowed")
    sums = weights.sum(-1)
    t.assert_close(sums, allowed.any(-1).to(weights.dtype), "weights row sums (1 over the allowed keys)", scale=10)
    t.assert_close(weights, t.expected(reference_weights), "weights compared with softmax(q k^T / sqrt(E) + mask)")


def output_is_weights_times_value(t: Trial) -> None:
    output, weights = t.output
    t.assert_close(output, weights @ t.call.args[2], "output compared with weights @ value")


def empty_row_gives_zeros(t: Trial) -> None:
    output, weights = t.output
    if torch.isnan(output).any() or torch.isnan(weights).any():
        raise AssertionError("NaN where a row allows no key: such a row must give zero weights and a zero output")
    t.assert_close(output, t.expected(reference_sdpa_output), "output compared with F.scaled_dot_product_attention")
    t.assert_close(weights, t.expected(reference_weights), "weights")


# ---------------------------------------------------------------- properties: multi-head attention


def mha_matches(what):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference_mha), what)

    return verify


def padding_keys_get_no_weight(t: Trial) -> None:
    output, weights = t.output
    padding = t.call.kwargs.get("key_padding_mask")
    if padding is not None and (weights.transpose(1, 2)[padding] != 0).any():
        raise AssertionError("keys with key_padding_mask True must get weight 0 (True means: do NOT attend)")
    attn = t.call.kwargs.get("attn_mask")
    if attn is not None and attn.dim() == 2 and (weights[:, attn] != 0).any():
        raise AssertionError("positions with attn_mask True must get weight 0 (True means: do NOT attend)")
    t.assert_close(t.output, t.expected(reference_mha), "(output, weights) compared with nn.MultiheadAttention")


def averaged_weights_sum_to_one(t: Trial) -> None:
    weights = t.output[1]
    B, L = t.call.args[0].shape[:2]
    S = t.call.args[1].shape[1]
    if weights.shape != (B, L, S):
        raise AssertionError(f"weights: expected shape {(B, L, S)} (averaged over heads), got {tuple(weights.shape)}")
    t.assert_close(weights.sum(-1), torch.ones(B, L, dtype=weights.dtype), "weights row sums", scale=10)


# ---------------------------------------------------------------- properties: positional encoding


def first_row_and_unit_pairs(t: Trial) -> None:
    P = t.output
    max_len, d_model = t.call.args
    first = torch.tensor([float(j % 2) for j in range(d_model)])
    t.assert_close(P[0], first, "row 0 (position 0 is sin 0 = 0, cos 0 = 1)")
    pairs = d_model // 2
    norms = P[:, 0 : 2 * pairs : 2] ** 2 + P[:, 1 : 2 * pairs : 2] ** 2
    t.assert_close(norms, torch.ones(max_len, pairs), "P[p, 2i]^2 + P[p, 2i+1]^2 (same frequency in a pair)", scale=10)


def prefix_of_longer_table(t: Trial) -> None:
    max_len, d_model = t.call.args
    longer = t.run(Call((max_len + 5, d_model)))
    t.assert_close(t.output, longer[:max_len], "the first rows of a longer table")


# ---------------------------------------------------------------- large inputs (the efficiency check)

# A large batch of short sequences: vectorised attention is a handful of batched matrix products
# and reductions; a Python loop over the batch (or over positions) runs them once per element,
# 50x or more slower. A loop over multi_head_attention's 2 heads is fine.


def _choice(g, options):
    return options[int(torch.randint(len(options), (), generator=g))]


@seeded
def large_scores_with_lengths(g, dtype):
    """masked_softmax(X (2048, 4, 8), valid_lens None, (2048,) or (2048, 4) in [0, 8])."""
    X = randn(g, 2048, 4, 8, dtype=dtype, scale=3.0)
    kind = _choice(g, ("none", "batch", "row"))
    return Call((X, None if kind == "none" else torch.randint(0, 9, (2048,) if kind == "batch" else (2048, 4), generator=g)))


def reference_attention(query, key, value, attn_mask=None, is_causal=False):
    """(output, weights) from F.scaled_dot_product_attention and torch.softmax: the students' baseline."""
    return reference_sdpa_output(query, key, value, attn_mask, is_causal), reference_weights(query, key, value, attn_mask, is_causal)


@seeded
def large_attention(g, dtype):
    """scaled_dot_product_attention(query (2048, 4, 8), key (2048, 6, 8), value (2048, 6, 8)[, bool mask][, is_causal])."""
    query, key, value = randn(g, 2048, 4, 8, dtype=dtype), randn(g, 2048, 6, 8, dtype=dtype), randn(g, 2048, 6, 8, dtype=dtype)
    kind = _choice(g, ("none", "bool", "causal"))
    if kind == "none":
        return Call((query, key, value))
    if kind == "causal":
        return Call((query, key, value), {"is_causal": True})
    mask = torch.rand(2048, 4, 6, generator=g) < 0.7
    mask[..., 0] = True  # every row allows a key: F.scaled_dot_product_attention gives NaN for one that allows none
    return Call((query, key, value), {"attn_mask": mask})


@seeded
def large_mha(g, dtype):
    """multi_head_attention on a batch of 512 sequences of 4, E = 8, 2 heads[, key_padding_mask]."""
    B, L, E, H = 512, 4, 8, 2
    query, key, value = (randn(g, B, L, E, dtype=dtype) for _ in range(3))
    in_w, out_w = randn(g, 3 * E, E, dtype=dtype, scale=2 / math.sqrt(E)), randn(g, E, E, dtype=dtype, scale=1 / math.sqrt(E))
    in_b, out_b = randn(g, 3 * E, dtype=dtype, scale=0.5), randn(g, E, dtype=dtype, scale=0.5)
    kwargs = {}
    if _choice(g, (False, True)):
        padding = torch.rand(B, L, generator=g) < 0.3
        padding[:, 0] = False  # no row without keys: nn.MultiheadAttention gives NaN there
        kwargs["key_padding_mask"] = padding
    return Call((query, key, value, H, in_w, in_b, out_w, out_b), kwargs)


@seeded
def large_table(g, dtype):
    """positional_encoding(8192, 8): a loop over the 8192 positions is slow; over the 4 column pairs, fine."""
    return Call((8192, 8))


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="08",
    module="attention",
    title="attention",
    functions=(
        Function(
            "masked_softmax",
            scores_with_lengths,
            points=2,
            reference=reference_masked_softmax,
            reference_name="torch.softmax over the valid keys (all zeros for a row without any)",
            efficiency=Efficiency(large_scores_with_lengths, factor=20, why="torch.softmax then torch.where costs 2.3x; a loop over the rows 110x and more"),
            checks=(
                Check(
                    "masked keys get exactly 0 and each row sums to 1",
                    masked_keys_zero_rows_sum_to_one,
                    hint="mask the scores BEFORE the softmax (set them to -inf), not the probabilities after it",
                ),
                Check(
                    "a row with valid length 0 is all zeros, never NaN",
                    empty_rows_are_zero,
                    inputs=with_empty_rows,
                    examples=10,
                    hint="-1e6 gives a uniform row and -inf gives 0/0 = NaN: guard the row max and the row sum",
                ),
                Check(
                    "valid_lens (B,) applies to every query row of its batch element",
                    batch_lengths_apply_to_every_row,
                    inputs=batch_lengths,
                    examples=10,
                    hint="turn (B,) into (B, 1) so it broadcasts over the Q rows, then compare with arange(K)",
                    gated=True,
                ),
                Check(
                    "is finite for scores of +-1e4",
                    matches_reference(reference_masked_softmax),
                    inputs=huge_scores,
                    examples=10,
                    hint="subtract the row maximum over the valid keys before exp",
                    hint_when=NON_FINITE,  # a finite output off by more than the tolerance has another cause
                ),
            ),
        ),
        Function(
            "scaled_dot_product_attention",
            attention_inputs,
            points=3,
            efficiency=Efficiency(large_attention, factor=20, why="einsum forms: within 1.1x; a loop over the batch 130x and more", reference=reference_attention),
            tolerance=ATTENTION_TOLERANCE,
            checks=(
                Check(
                    "output matches F.scaled_dot_product_attention",
                    output_matches_sdpa,
                    hint="scores = query @ key^T / sqrt(E); a boolean mask is True where attending is ALLOWED",
                ),
                Check(
                    "is_causal=True matches F.scaled_dot_product_attention(is_causal=True)",
                    output_matches_sdpa,
                    inputs=causal_inputs,
                    examples=10,
                    hint="query l may see keys 0..l: the lower triangle, diagonal included (torch.ones(L, S).tril())",
                ),
                Check(
                    "weights are 0 where masked and rows sum to 1 over allowed keys",
                    weights_are_masked_softmax,
                    inputs=masked_or_causal,
                    examples=10,
                    hint="apply the mask to the scores before the softmax; a float mask is added to the scores",
                ),
                Check("output equals weights @ value", output_is_weights_times_value, examples=10),
                Check(
                    "a row that allows no key gives zero weights and output, never NaN",
                    empty_row_gives_zeros,
                    inputs=fully_masked_row,
                    examples=10,
                    hint="softmax of a row of -inf is 0/0: replace a non-finite row max and a zero row sum",
                    hint_when="NaN",  # empty_row_gives_zeros's own message for 0/0; a uniform row (-1e9 fill) is another cause
                ),
            ),
        ),
        Function(
            "multi_head_attention",
            mha_inputs,
            points=4,
            reference=reference_mha,
            reference_name="nn.MultiheadAttention(E, num_heads, batch_first=True)",
            efficiency=Efficiency(large_mha, factor=20, why="einsum projections cost 1.2x; a loop over the sequences 120x and more (one over the 2 heads is fine)"),
            tolerance=ATTENTION_TOLERANCE,
            checks=(
                Check(
                    "boolean masks are True where attending is NOT allowed",
                    padding_keys_get_no_weight,
                    inputs=bool_masks,
                    examples=10,
                    hint="nn.MultiheadAttention's masks are the opposite of scaled_dot_product_attention's: invert them",
                ),
                Check(
                    "heads are split and merged along the embedding axis",
                    mha_matches("(output, weights) with several heads, no mask"),
                    inputs=several_heads,
                    examples=10,
                    hint="(B, L, E) -> (B, L, H, E/H) -> transpose -> (B, H, L, E/H); undo it in the same order",
                ),
                Check(
                    "a (B*H, L, S) attn_mask is indexed b*H + h",
                    mha_matches("(output, weights) with a per-head attn_mask"),
                    inputs=per_head_masks,
                    examples=10,
                    hint="reshape the mask to (B, H, L, S): batch-major, like nn.MultiheadAttention",
                ),
                Check(
                    "weights are averaged over heads (rows sum to 1)",
                    averaged_weights_sum_to_one,
                    examples=10,
                    hint="return the mean of the per-head weights over the head axis: shape (B, L, S)",
                ),
            ),
        ),
        Function(
            "positional_encoding",
            table_sizes,
            points=1,
            reference=formula_table,
            reference_name="P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(p / 10000^(2i/d))",
            efficiency=Efficiency(large_table, factor=20, why="exp-log frequencies: 1x; a loop over the 8192 positions 220x and more", public=False),  # the formula, one element at a time, is no baseline
            checks=(
                Check(
                    "row 0 is [0, 1, 0, 1, ...] and each column pair is a (sin, cos) of one angle",
                    first_row_and_unit_pairs,
                    hint="even columns take sin, odd columns cos, and columns 2i and 2i+1 share the frequency 10000^(-2i/d)",
                ),
                Check(
                    "works for odd d_model (the last column is a sine)",
                    matches_reference(formula_table),
                    inputs=odd_sizes,
                    hint="there are ceil(d/2) sine columns but only floor(d/2) cosine columns",
                ),
                Check("is the prefix of a longer table", prefix_of_longer_table, gated=True),
            ),
            dtypes=(torch.float32,),
            tolerance={torch.float32: Tolerance(1e-5, 5e-5)},
            meta=False,  # no tensor inputs: the table is float32 on the CPU
        ),
    ),
    forbidden=(
        "torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.MultiheadAttention",
        "torch.nn.Transformer",
        "torch.nn.TransformerEncoderLayer",
        "torch.nn.TransformerDecoderLayer",
        "torch._native_multi_head_attention",
    ),
)

test_public = public_tests(ASSIGNMENT)
