"""Public tests for assignment 11 (seq2seq: masking, teacher forcing, Bahdanau attention).

Each graded function is described once below: how its inputs are drawn, which reference it
must match, and the properties it must have. The tests are generated from these records for
every dtype (and for CUDA when one is present). Run: pytest assignments/11
"""

import itertools
import math

import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import floats, randn, seeded, tensors

NEG_INF = float("-inf")
# Attention sums products over the hidden size and the keys, and the decoder feeds every
# step's rounding into the next: a correct float32 answer computed in another order can
# differ from the reference by a few 1e-5 relative. Every mistake the tests target is far larger.
ATTENTION_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5)}
DECODER_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5)}
PAD, BOS, EOS = 0, 1, 2  # the seed's vocabulary: specials=[PAD, BOS, EOS] come first


def _seed(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))


def real_positions(valid_len: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) bool: True at the positions t < valid_len[b]."""
    return torch.arange(T) < valid_len[:, None]


# ---------------------------------------------------------------- inputs and reference: sequence_mask


@st.composite
def mask_inputs(draw, dtype, kinds=("float", "float", "int", "bool"), trailing=(0, 1, 2), lengths="any"):
    """sequence_mask(X (B, T, ...), valid_len (B,) in [0, T][, value=...]).

    X is float (the dtype under test), int64 or bool, with 0 to 2 trailing axes; `value` is
    left out (0.0) or drawn to suit X's dtype.
    """
    B, T = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    rest = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.sampled_from(trailing))))
    shape = (B, T, *rest)
    kind = draw(st.sampled_from(kinds))
    if kind == "float":
        X = draw(tensors(shape, dtype, -10, 10))
        value = draw(st.none() | floats(dtype, -5, 5) | st.sampled_from([-1e6, NEG_INF]))
    elif kind == "int":
        X = draw(tensors(shape, torch.int64, -20, 20))
        value = draw(st.none() | st.integers(-5, 5))
    else:
        X = draw(tensors(shape, torch.bool, elements=st.booleans()))
        value = draw(st.none() | st.booleans())
    if lengths == "extreme":
        valid_len = torch.tensor([draw(st.sampled_from([0, T])) for _ in range(B)], dtype=torch.int64)
    else:
        valid_len = draw(tensors((B,), torch.int64, 0, T))
    return Call((X, valid_len), {} if value is None else {"value": value})


def two_and_four_dims(dtype):
    return mask_inputs(dtype, trailing=(0, 2))


def bool_and_int(dtype):
    return mask_inputs(dtype, kinds=("int", "bool"))


def extreme_lengths(dtype):
    return mask_inputs(dtype, lengths="extreme")


def reference_sequence_mask(X, valid_len, value=0.0):
    """X with rows b filled with `value` from position valid_len[b] on, one row at a time."""
    out = X.clone()
    for b, n in enumerate(valid_len.tolist()):
        out[b, n:] = value
    return out


def vectorised_sequence_mask(X, valid_len, value=0.0):
    """torch.where over the broadcast mask: the students' baseline for the timing."""
    keep = real_positions(valid_len, X.shape[1]).reshape(X.shape[:2] + (1,) * (X.dim() - 2))
    return torch.where(keep, X, torch.full((), value, dtype=X.dtype))


# ---------------------------------------------------------------- inputs and reference: masked_cross_entropy


@st.composite
def ce_inputs(draw, dtype, low=-10.0, high=10.0, lengths="any", reductions=(None, "mean", "sum", "none"), new_padding=False):
    """masked_cross_entropy(logits (B, T, V), target (B, T) in [0, V), valid_len (B,) in [0, T][, reduction=]).

    lengths: "any" (each in [0, T]), "full" (all T), or "empty" (all 0 half of the time, else
    some 0). With `new_padding`, `extra` holds fresh logits and targets for the padded positions.
    """
    B, T, V = draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(2, 6))
    logits = draw(tensors((B, T, V), dtype, low, high))
    target = draw(tensors((B, T), torch.int64, 0, V - 1))
    if lengths == "full":
        valid_len = torch.full((B,), T, dtype=torch.int64)
    elif lengths == "empty":
        valid_len = torch.zeros(B, dtype=torch.int64) if draw(st.booleans()) else draw(tensors((B,), torch.int64, 0, T))
        valid_len[draw(st.integers(0, B - 1))] = 0
    else:
        valid_len = draw(tensors((B,), torch.int64, 0, T))
    reduction = draw(st.sampled_from(reductions))
    extra = {}
    if new_padding:
        extra = {"logits": draw(tensors((B, T, V), dtype, low, high)), "target": draw(tensors((B, T), torch.int64, 0, V - 1))}
    return Call((logits, target, valid_len), {} if reduction is None else {"reduction": reduction}, extra=extra)


def with_new_padding(dtype):
    return ce_inputs(dtype, new_padding=True)


def full_lengths(dtype):
    return ce_inputs(dtype, lengths="full")


def no_reduction_given(dtype):
    return ce_inputs(dtype, reductions=(None,))


def mean_only(dtype):
    return ce_inputs(dtype, reductions=(None, "mean"))


def all_padding(dtype):
    return ce_inputs(dtype, lengths="empty", reductions=(None, "mean", "mean", "sum", "none"))


def huge_logits(dtype):
    return ce_inputs(dtype, -1e4, 1e4)


def reference_masked_ce(logits, target, valid_len, reduction="mean"):
    """F.cross_entropy with the padded targets set to ignore_index; 0.0 (not NaN) for an all-padding mean."""
    real = real_positions(valid_len, logits.shape[1])
    loss = F.cross_entropy(logits.transpose(1, 2), target.masked_fill(~real, -100), ignore_index=-100, reduction=reduction)
    if reduction == "mean" and not real.any():
        return torch.zeros((), dtype=logits.dtype)
    return loss


def plain_cross_entropy(logits, target, valid_len, reduction="mean"):
    """F.cross_entropy over every position, no mask at all (valid_len = T)."""
    B, T, V = logits.shape
    loss = F.cross_entropy(logits.reshape(B * T, V), target.reshape(B * T), reduction=reduction)
    return loss.reshape(B, T) if reduction == "none" else loss


# ---------------------------------------------------------------- inputs and reference: teacher_forcing_inputs


@st.composite
def target_batches(draw, dtype):
    """teacher_forcing_inputs(Y (B, T) int64 in [0, V), bos_id in [0, V))."""
    B, T, V = draw(st.integers(1, 4)), draw(st.integers(1, 7)), draw(st.integers(3, 30))
    Y = draw(tensors((B, T), torch.int64, 0, V - 1))
    return Call((Y, draw(st.integers(0, V - 1))))


# The seed's first pair (d2l's fr-en-small.txt, max_seq_len 7, specials <pad>=0, <bos>=1, <eos>=2):
# the English target "they are watching ." + <eos> + 2 x <pad>, beside a second target of length 3.
SEED_TARGETS = [[8, 4, 27, 3, EOS, PAD, PAD], [6, 5, EOS, PAD, PAD, PAD, PAD]]
SEED_DECODER_INPUTS = [[BOS, 8, 4, 27, 3, EOS, PAD], [BOS, 6, 5, EOS, PAD, PAD, PAD]]


def seed_example(dtype):
    return st.builds(lambda: Call((torch.tensor(SEED_TARGETS), BOS)))


def reference_teacher_forcing(Y, bos_id):
    """[bos_id] + Y[b, :-1] for every row b."""
    return torch.tensor([[bos_id] + row[:-1] for row in Y.tolist()], dtype=Y.dtype).reshape(Y.shape)


def vectorised_teacher_forcing(Y, bos_id):
    return torch.cat([torch.full((Y.shape[0], 1), bos_id, dtype=Y.dtype), Y[:, :-1]], dim=1)


# ---------------------------------------------------------------- inputs and references: additive_attention


@st.composite
def additive_inputs(draw, dtype, lengths=("none", "batch", "row"), empty_row=False, w_v_size=2.0, permutation=False):
    """additive_attention(queries (B, Q, Dq), keys (B, K, Dk), values (B, K, Dv), valid_lens, W_q (A, Dq), W_k (A, Dk), w_v (A,)).

    valid_lens None, (B,) or (B, Q) in [0, K]; `empty_row` forces a valid length 0; with
    `permutation`, `extra` holds a permutation of the K keys.
    """
    B, Q, K = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    Dq, Dk, Dv, A = (draw(st.integers(1, 4)) for _ in range(4))
    queries = draw(tensors((B, Q, Dq), dtype, -3, 3))
    keys = draw(tensors((B, K, Dk), dtype, -3, 3))
    values = draw(tensors((B, K, Dv), dtype, -3, 3))
    W_q, W_k = draw(tensors((A, Dq), dtype, -1, 1)), draw(tensors((A, Dk), dtype, -1, 1))
    w_v = draw(tensors((A,), dtype, -w_v_size, w_v_size))
    kind = draw(st.sampled_from(lengths))
    valid_lens = None if kind == "none" else draw(tensors((B,) if kind == "batch" else (B, Q), torch.int64, 0, K))
    if empty_row:
        valid_lens.view(-1)[draw(st.integers(0, valid_lens.numel() - 1))] = 0
    extra = {"permutation": draw(st.permutations(range(K)))} if permutation else {}
    return Call((queries, keys, values, valid_lens, W_q, W_k, w_v), extra=extra)


def with_empty_rows(dtype):
    return additive_inputs(dtype, lengths=("batch", "row"), empty_row=True)


def masked_rows(dtype):
    return additive_inputs(dtype, lengths=("batch", "row"))


def batch_lengths(dtype):
    return additive_inputs(dtype, lengths=("batch",))


def permuted_keys(dtype):
    return additive_inputs(dtype, lengths=("none",), permutation=True)


def large_scores(dtype):
    return additive_inputs(dtype, w_v_size=300.0)  # |scores| up to 1200: exp overflows without the max subtracted


def allowed_keys(scores_shape, valid_lens) -> torch.Tensor:
    """(B, Q, K) bool: True at keys inside the valid length."""
    if valid_lens is None:
        return torch.ones(scores_shape, dtype=torch.bool)
    lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(scores_shape[:2])
    return torch.arange(scores_shape[-1]) < lens[..., None]


def reference_masked_softmax(scores, valid_lens):
    """torch.softmax over the valid keys; all zeros for a row without any (08's convention)."""
    allowed = allowed_keys(scores.shape, valid_lens)
    return torch.softmax(scores.masked_fill(~allowed, NEG_INF), dim=-1).nan_to_num(0.0)


def reference_additive_attention(queries, keys, values, valid_lens, W_q, W_k, w_v):
    """The scores one (batch, query, key) triple at a time, then a masked softmax and the weighted sum."""
    B, Q, K = queries.shape[0], queries.shape[1], keys.shape[1]
    scores = torch.zeros(B, Q, K, dtype=queries.dtype)
    for b, q, k in itertools.product(range(B), range(Q), range(K)):
        scores[b, q, k] = w_v @ torch.tanh(W_q @ queries[b, q] + W_k @ keys[b, k])
    weights = reference_masked_softmax(scores, valid_lens)
    return weights @ values, weights


def d2l_additive_attention(queries, keys, values, valid_lens, W_q, W_k, w_v):
    """d2l's AdditiveAttention (three nn.Linear without bias) with torch.softmax: vectorised, for the decoder and the timing."""
    q, k = F.linear(queries, W_q), F.linear(keys, W_k)
    features = torch.tanh(q.unsqueeze(2) + k.unsqueeze(1))  # (B, Q, K, A)
    scores = F.linear(features, w_v[None, :]).squeeze(-1)
    weights = reference_masked_softmax(scores, valid_lens)
    return weights @ values, weights


# ---------------------------------------------------------------- inputs and reference: attention_decoder_forward


def decoder_params(g: torch.Generator, V: int, E: int, H: int, A: int, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The decoder's weights, drawn at about PyTorch's default scale (the same values in every dtype)."""
    return {
        "embedding": randn(g, V, E, dtype=dtype),
        "attn.W_q": randn(g, A, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "attn.W_k": randn(g, A, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "attn.w_v": randn(g, A, dtype=dtype, scale=2.0),  # sharp enough that the weights are far from uniform
        "rnn.weight_ih": randn(g, 3 * H, H + E, dtype=dtype, scale=1 / math.sqrt(H)),
        "rnn.weight_hh": randn(g, 3 * H, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "rnn.bias_ih": randn(g, 3 * H, dtype=dtype, scale=0.5),
        "rnn.bias_hh": randn(g, 3 * H, dtype=dtype, scale=0.5),
        "dense.weight": randn(g, V, H, dtype=dtype, scale=1 / math.sqrt(H)),
        "dense.bias": randn(g, V, dtype=dtype, scale=0.5),
    }


@st.composite
def decoder_inputs(draw, dtype, batch=(1, 3), lengths=("none", "lengths", "lengths"), extra_kind=None):
    """attention_decoder_forward(Y_in (B, T), state (B, H), enc_outputs (B, S, H), enc_valid_len, params).

    The embedding size E always differs from the hidden size H (a GRU input sized 2 * E is
    wrong then); enc_valid_len is None or (B,) in [1, S]. `extra_kind`: "tokens" (a cut and
    fresh tokens, for causality) or "encoder" (fresh encoder outputs, for the padding).
    """
    B, T, S = draw(st.integers(*batch)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    H = draw(st.integers(1, 4))
    E = draw(st.integers(1, 4).filter(lambda e: e != H))
    A, V = draw(st.integers(1, 4)), draw(st.integers(2, 6))
    g = _seed(draw)
    params = decoder_params(g, V, E, H, A, dtype)
    state = randn(g, B, H, dtype=dtype, scale=0.5)
    enc_outputs = randn(g, B, S, H, dtype=dtype)
    Y_in = draw(tensors((B, T), torch.int64, 0, V - 1))
    enc_valid_len = None if draw(st.sampled_from(lengths)) == "none" else draw(tensors((B,), torch.int64, 1, S))
    extra = {}
    if extra_kind == "tokens":
        extra = {"cut": draw(st.integers(0, T - 1)), "tokens": draw(tensors((B, T), torch.int64, 0, V - 1))}
    elif extra_kind == "encoder":
        extra = {"enc_outputs": randn(g, B, S, H, dtype=dtype, scale=3.0)}
    return Call((Y_in, state, enc_outputs, enc_valid_len, params), extra=extra)


def single_sequence(dtype):
    return decoder_inputs(dtype, batch=(1, 1))


def with_new_tokens(dtype):
    return decoder_inputs(dtype, extra_kind="tokens")


def with_new_padding_outputs(dtype):
    return decoder_inputs(dtype, lengths=("lengths",), extra_kind="encoder")


def with_lengths(dtype):
    return decoder_inputs(dtype, lengths=("lengths",))


def reference_decoder(Y_in, state, enc_outputs, enc_valid_len, params):
    """nn.Embedding + nn.GRU (time-major) + nn.Linear holding the same weights, one step at a time, as d2l's
    Seq2SeqAttentionDecoder: the query is the GRU's hidden state before the step, its input [context, embedding]."""
    V, E = params["embedding"].shape
    H, dtype = state.shape[-1], state.dtype
    embedding = nn.Embedding(V, E, dtype=dtype)
    gru = nn.GRU(H + E, H, dtype=dtype)
    dense = nn.Linear(H, V, dtype=dtype)
    with torch.no_grad():
        embedding.weight.copy_(params["embedding"])
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(gru, f"{name}_l0").copy_(params[f"rnn.{name}"])
        dense.weight.copy_(params["dense.weight"])
        dense.bias.copy_(params["dense.bias"])
        X = embedding(Y_in).permute(1, 0, 2)  # (T, B, E)
        hidden = state[None]  # (num_layers = 1, B, H)
        outputs, weights = [], []
        for x in X:
            query = hidden[-1][:, None, :]  # (B, 1, H)
            context, w = d2l_additive_attention(query, enc_outputs, enc_outputs, enc_valid_len, params["attn.W_q"], params["attn.W_k"], params["attn.w_v"])
            step = torch.cat([context, x[:, None, :]], dim=-1).permute(1, 0, 2)  # (1, B, H + E)
            out, hidden = gru(step, hidden)
            outputs.append(out)
            weights.append(w)
        logits = dense(torch.cat(outputs, dim=0)).permute(1, 0, 2)  # (B, T, V)
    return logits, hidden[0], torch.cat(weights, dim=1)


# ---------------------------------------------------------------- properties: sequence_mask


def keeps_real_tokens_and_fills_padding(t: Trial) -> None:
    X, valid_len = t.call.args
    value = t.call.kwargs.get("value", 0.0)
    out = t.output
    if not isinstance(out, torch.Tensor) or out.shape != X.shape or out.dtype != X.dtype:
        got = f"{tuple(out.shape)} {out.dtype}" if isinstance(out, torch.Tensor) else type(out).__name__
        raise AssertionError(f"expected a tensor of X's shape {tuple(X.shape)} and dtype {X.dtype}, got {got}")
    fill = torch.full((), value, dtype=X.dtype)
    for b, n in enumerate(valid_len.tolist()):
        if not torch.equal(out[b, :n], X[b, :n]):
            raise AssertionError(f"row {b}: positions 0..{n - 1} (t < valid_len = {n}) must equal X exactly")
        if not (out[b, n:] == fill).all():
            raise AssertionError(f"row {b}: positions {n}.. (t >= valid_len = {n}) must all be value = {value!r}")


def extreme_lengths_give_x_or_value(t: Trial) -> None:
    X, valid_len = t.call.args
    value = t.call.kwargs.get("value", 0.0)
    out = t.output
    for b, n in enumerate(valid_len.tolist()):
        expected = X[b] if n == X.shape[1] else torch.full_like(X[b], value)
        t.assert_close(out[b], expected, f"row {b} with valid_len {'= T (nothing masked)' if n else '= 0 (everything masked)'}")


# ---------------------------------------------------------------- properties: masked_cross_entropy


def padding_changes_nothing(t: Trial) -> None:
    logits, target, valid_len = t.call.args
    pad = ~real_positions(valid_len, logits.shape[1])
    changed = Call(
        (torch.where(pad[..., None], t.call.extra["logits"], logits), torch.where(pad, t.call.extra["target"], target), valid_len),
        t.call.kwargs,
    )
    t.assert_close(t.run(changed), t.output, "output with other logits and targets at the padded positions")


def reductions_agree(t: Trial) -> None:
    logits, target, valid_len = t.call.args
    none, total, mean = (t.run(t.call.replace(reduction=r)) for r in ("none", "sum", "mean"))
    t.assert_close(total, none.sum(), "reduction='sum' compared with reduction='none' summed", scale=10)
    count = int(real_positions(valid_len, logits.shape[1]).sum())
    if count:
        t.assert_close(mean * count, total, f"reduction='mean' times the {count} real tokens compared with reduction='sum'", scale=10)


# ---------------------------------------------------------------- properties: teacher_forcing_inputs


def bos_then_shifted_targets(t: Trial) -> None:
    Y, bos_id = t.call.args
    out = t.output
    if not isinstance(out, torch.Tensor):
        raise AssertionError(f"expected a tensor, got {type(out).__name__}")
    if out.shape != Y.shape:
        hint = " (dropped the last column instead of shifting?)" if out.shape[-1:] == (Y.shape[1] - 1,) else ""
        raise AssertionError(f"expected shape {tuple(Y.shape)} (the length T of Y), got {tuple(out.shape)}{hint}")
    if out.dtype != Y.dtype:
        raise AssertionError(f"expected Y's dtype {Y.dtype}, got {out.dtype}")
    if not (out[:, 0] == bos_id).all():
        raise AssertionError(f"column 0 must be bos_id = {bos_id} in every row, got {out[:, 0].tolist()}")
    if not torch.equal(out[:, 1:], Y[:, :-1]):
        same = " (it is Y itself: the decoder would be shown the token it must predict)" if torch.equal(out, Y) else ""
        raise AssertionError(f"columns 1..T-1 must equal Y[:, :-1], the targets shifted right by one{same}")


def matches_seed_example(t: Trial) -> None:
    t.assert_close(t.output, torch.tensor(SEED_DECODER_INPUTS), "decoder inputs for the seed's targets")


# ---------------------------------------------------------------- properties: additive_attention


def matches_reference(reference, what="output"):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference), what)

    return verify


def _pair(t: Trial):
    out = t.output
    if not isinstance(out, tuple) or len(out) != 2:
        raise AssertionError("return a tuple (context, weights)")
    return out


def weights_masked_rows_sum_to_one(t: Trial) -> None:
    queries, keys, values, valid_lens = t.call.args[:4]
    _, weights = _pair(t)
    allowed = allowed_keys((queries.shape[0], queries.shape[1], keys.shape[1]), valid_lens)
    if not isinstance(weights, torch.Tensor) or weights.shape != allowed.shape:
        raise AssertionError(f"weights: expected shape {tuple(allowed.shape)} (B, Q, K)")
    if (weights[~allowed] != 0).any():
        raise AssertionError("keys at or beyond the valid length must get weight exactly 0")
    if not torch.isfinite(weights).all() or (weights < 0).any():
        raise AssertionError("weights must be finite and >= 0")
    t.assert_close(weights.sum(-1), allowed.any(-1).to(weights.dtype), "weights row sums (1, or 0 for a row with valid length 0)", scale=10)


def empty_rows_are_zero(t: Trial) -> None:
    context, weights = _pair(t)
    if torch.isnan(weights).any() or torch.isnan(context).any():
        raise AssertionError("NaN in the output: a row with valid length 0 must have all-zero weights and a zero context")
    t.assert_close((context, weights), t.expected(reference_additive_attention), "(context, weights)")


def zero_w_v_is_uniform(t: Trial) -> None:
    queries, keys, values, valid_lens, W_q, W_k, w_v = t.call.args
    allowed = allowed_keys((queries.shape[0], queries.shape[1], keys.shape[1]), valid_lens).to(t.dtype)
    uniform = allowed / allowed.sum(-1, keepdim=True).clamp(min=1)
    context, weights = t.run(Call((queries, keys, values, valid_lens, W_q, W_k, torch.zeros_like(w_v))))
    t.assert_close(weights, uniform, "weights with w_v = 0 (1/n on the n valid keys, 0 elsewhere)")
    t.assert_close(context, uniform @ values, "context with w_v = 0 (the mean of the valid values)")


def permuting_keys_permutes_weights(t: Trial) -> None:
    queries, keys, values, valid_lens, W_q, W_k, w_v = t.call.args
    perm = torch.tensor(t.call.extra["permutation"], dtype=torch.int64)
    context, weights = _pair(t)
    other_context, other_weights = t.run(Call((queries, keys[:, perm], values[:, perm], valid_lens, W_q, W_k, w_v)))
    t.assert_close(other_weights, weights[..., perm], "weights with the keys and values permuted together")
    t.assert_close(other_context, context, "context with the keys and values permuted together")


def batch_lengths_apply_to_every_row(t: Trial) -> None:
    queries, keys, values, valid_lens, W_q, W_k, w_v = t.call.args
    per_row = valid_lens[:, None].expand(queries.shape[:2]).contiguous()
    t.assert_close(t.output, t.run(Call((queries, keys, values, per_row, W_q, W_k, w_v))), "valid_lens (B,) compared with the same lengths as (B, Q)")


# ---------------------------------------------------------------- properties: attention_decoder_forward


def _triple(t: Trial, out=None):
    out = t.output if out is None else out
    if not isinstance(out, tuple) or len(out) != 3:
        raise AssertionError("return a tuple (logits, new_state, weights)")
    return out


def one_sequence(t: Trial) -> None:
    logits, _, _ = _triple(t)
    Y_in, params = t.call.args[0], t.call.args[4]
    want = (1, Y_in.shape[1], params["dense.bias"].shape[0])
    if not isinstance(logits, torch.Tensor) or logits.shape != want:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise AssertionError(f"logits: expected shape {want} (B = 1, one prediction per step), got {got}")
    t.assert_close(t.output, t.expected(reference_decoder), "(logits, new_state, weights) for B = 1")


def weights_of_each_step(t: Trial) -> None:
    _, _, weights = _triple(t)
    expected = t.expected(reference_decoder)[2]
    t.assert_close(weights, expected, "weights (B, T, S): row t compared with the attention of step t")


def causal(t: Trial) -> None:
    Y_in, state, enc_outputs, enc_valid_len, params = t.call.args
    cut, tokens = t.call.extra["cut"], t.call.extra["tokens"]
    changed = Y_in.clone()
    changed[:, cut:] = tokens[:, cut:]
    logits, _, weights = _triple(t)
    other_logits, _, other_weights = _triple(t, t.run(Call((changed, state, enc_outputs, enc_valid_len, params))))
    t.assert_close(other_logits[:, :cut], logits[:, :cut], f"logits[:, :{cut}] after changing Y_in[:, {cut}:]")
    t.assert_close(other_weights[:, : cut + 1], weights[:, : cut + 1], f"weights[:, :{cut + 1}] after changing Y_in[:, {cut}:]")


def encoder_padding_changes_nothing(t: Trial) -> None:
    Y_in, state, enc_outputs, enc_valid_len, params = t.call.args
    pad = ~real_positions(enc_valid_len, enc_outputs.shape[1])
    changed = torch.where(pad[..., None], t.call.extra["enc_outputs"], enc_outputs)
    other = t.run(Call((Y_in, state, changed, enc_valid_len, params)))
    t.assert_close(other, t.output, "(logits, new_state, weights) with other encoder outputs at positions >= enc_valid_len")


def no_lengths_means_all_valid(t: Trial) -> None:
    Y_in, state, enc_outputs, _, params = t.call.args
    full = torch.full((Y_in.shape[0],), enc_outputs.shape[1], dtype=torch.int64)
    t.assert_close(t.run(Call((Y_in, state, enc_outputs, None, params))), t.run(Call((Y_in, state, enc_outputs, full, params))), "enc_valid_len=None compared with enc_valid_len = S")


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Large batches of short sequences: vectorised code is a handful of whole-batch operations
# (a few per decoder step); a Python loop over the batch runs them once per sequence, 50x or
# more slower. The decoder's loop over its 4 time steps is expected.


@seeded
def large_masks(g, dtype):
    """sequence_mask(X (16384, 4), valid_len (16384,) in [0, 4])."""
    return Call((randn(g, 16384, 4, dtype=dtype), torch.randint(0, 5, (16384,), generator=g)))


@seeded
def large_losses(g, dtype):
    """masked_cross_entropy(logits (4096, 4, 4), target, valid_len in [0, 4], reduction='mean')."""
    logits = randn(g, 4096, 4, 4, dtype=dtype, scale=3.0)
    return Call((logits, torch.randint(0, 4, (4096, 4), generator=g), torch.randint(0, 5, (4096,), generator=g)))


@seeded
def large_targets(g, dtype):
    """teacher_forcing_inputs(Y (16384, 4) int64, bos_id=1)."""
    return Call((torch.randint(0, 100, (16384, 4), generator=g), BOS))


@seeded
def large_attention(g, dtype):
    """additive_attention with 2048 batch elements of 2 queries and 4 keys, sizes 4, valid_lens (2048,)."""
    B, Q, K, D, A = 2048, 2, 4, 4, 4
    queries, keys, values = randn(g, B, Q, D, dtype=dtype), randn(g, B, K, D, dtype=dtype), randn(g, B, K, D, dtype=dtype)
    W_q, W_k = randn(g, A, D, dtype=dtype, scale=0.5), randn(g, A, D, dtype=dtype, scale=0.5)
    return Call((queries, keys, values, torch.randint(0, K + 1, (B,), generator=g), W_q, W_k, randn(g, A, dtype=dtype)))


@seeded
def large_decoder(g, dtype):
    """attention_decoder_forward on 1024 sequences of 4 steps, S = 4, H = 4, E = 3, A = 4, V = 8."""
    B, T, S, H, E, A, V = 1024, 4, 4, 4, 3, 4, 8
    params = decoder_params(g, V, E, H, A, dtype)
    Y_in = torch.randint(0, V, (B, T), generator=g)
    return Call((Y_in, randn(g, B, H, dtype=dtype, scale=0.5), randn(g, B, S, H, dtype=dtype), torch.randint(1, S + 1, (B,), generator=g), params))


# ---------------------------------------------------------------- the assignment

STRUCTURAL = {"dtypes": (torch.float32,), "examples": 10}  # properties that do not depend on the dtype

ASSIGNMENT = Assignment(
    id="11",
    module="seq2seq",
    title="seq2seq: masking, teacher forcing, Bahdanau attention",
    functions=(
        Function(
            "sequence_mask",
            mask_inputs,
            points=1,
            reference=reference_sequence_mask,
            reference_name="X with each row b set to value from position valid_len[b] on",
            efficiency=Efficiency(
                large_masks, factor=20, reference=vectorised_sequence_mask,
                why="index_put on a copy or torch.where: within 1.5x; a loop over the 16384 rows 240x",
            ),
            checks=(
                Check(
                    "keeps X exactly before valid_len and is value from valid_len on",
                    keeps_real_tokens_and_fills_padding,
                    hint="padding starts AT valid_len[b]: keep = arange(T) < valid_len[:, None], reshaped to broadcast over X's trailing axes",
                ),
                Check(
                    "works for 2-D and 4-D X",
                    matches_reference(reference_sequence_mask),
                    inputs=two_and_four_dims,
                    examples=10,
                    hint="reshape the (B, T) mask to (B, T, 1, ..., 1) with one 1 per trailing axis of X",
                ),
                Check(
                    "works for bool and integer X and keeps its dtype",
                    matches_reference(reference_sequence_mask),
                    inputs=bool_and_int,
                    examples=10,
                    hint="X.masked_fill(~keep, value) keeps X's dtype; torch.where(keep, X, value) promotes an integer X to float",
                ),
                Check("valid_len = T gives X and valid_len = 0 gives all value", extreme_lengths_give_x_or_value, inputs=extreme_lengths, **STRUCTURAL, gated=True),
            ),
        ),
        Function(
            "masked_cross_entropy",
            ce_inputs,
            points=2,
            reference=reference_masked_ce,
            reference_name="F.cross_entropy(logits.transpose(1, 2), padded targets set to -100, ignore_index=-100) (0.0 for an all-padding mean)",
            efficiency=Efficiency(large_losses, factor=20, why="float64 and a one-hot product: within 2x; a loop over the 4096 sequences 60x and more"),
            checks=(
                Check(
                    "the mean divides by the number of real tokens",
                    matches_reference(reference_masked_ce),
                    inputs=mean_only,
                    hint="a token-level mean: the masked sum over valid_len.sum() tokens, not over B * T positions or B sequences",
                ),
                Check(
                    "changing logits or targets at padded positions changes nothing",
                    padding_changes_nothing,
                    inputs=with_new_padding,
                    examples=10,
                    hint="positions t >= valid_len[b] (the first <pad> after <eos> included) must not count: mask the per-token losses before reducing",
                    gated=True,
                ),
                Check(
                    "with valid_len = T it is plain cross-entropy",
                    matches_reference(plain_cross_entropy),
                    inputs=full_lengths,
                    examples=10,
                    hint="loss[b, t] = -log_softmax(logits[b, t])[target[b, t]]; gather along the vocabulary axis",
                ),
                Check("'sum' is 'none' summed and 'mean' times the real tokens is 'sum'", reductions_agree, inputs=no_reduction_given, examples=10, gated=True),
                Check(
                    "the mean is 0.0, never NaN, when every position is padding",
                    matches_reference(reference_masked_ce),
                    inputs=all_padding,
                    examples=10,
                    hint="0 real tokens gives 0 / 0: divide by max(number of real tokens, 1)",
                    hint_when=NON_FINITE,
                ),
                Check(
                    "is finite for logits of +-1e4",
                    matches_reference(reference_masked_ce),
                    inputs=huge_logits,
                    examples=10,
                    hint="log_softmax with the log-sum-exp trick: subtract the max over the vocabulary before exp",
                    hint_when=NON_FINITE,
                ),
            ),
        ),
        Function(
            "teacher_forcing_inputs",
            target_batches,
            points=1,
            reference=reference_teacher_forcing,
            reference_name="[bos_id] + Y[b, :-1] for every row b",
            efficiency=Efficiency(large_targets, factor=20, reference=vectorised_teacher_forcing, why="roll then a column assignment: within 1.5x; a loop over the 16384 rows 300x and more"),
            checks=(
                Check(
                    "column 0 is bos_id and columns 1.. are Y shifted right by one",
                    bos_then_shifted_targets,
                    hint="torch.cat([a (B, 1) column of bos_id, Y[:, :-1]], dim=1): the input at step t is the target of step t - 1",
                ),
                Check("gives the decoder inputs of the seed's worked example", matches_seed_example, inputs=seed_example, examples=1),
            ),
            dtypes=(torch.float32,),  # integer tokens only: one run is enough
        ),
        Function(
            "additive_attention",
            additive_inputs,
            points=3,
            reference=reference_additive_attention,
            reference_name="w_v . tanh(W_q q + W_k k) for each (query, key) pair, then a masked softmax",
            efficiency=Efficiency(
                large_attention, factor=20, reference=d2l_additive_attention,
                why="einsum forms: within 4x; a loop over the 2048 batch elements 350x and more",
            ),
            tolerance=ATTENTION_TOLERANCE,
            checks=(
                Check(
                    "weights are 0 beyond the valid length and each row sums to 1",
                    weights_masked_rows_sum_to_one,
                    inputs=masked_rows,
                    hint="mask the scores BEFORE the softmax (set them to -inf), not the weights after it",
                ),
                Check(
                    "a row with valid length 0 is all zeros, never NaN",
                    empty_rows_are_zero,
                    inputs=with_empty_rows,
                    examples=10,
                    hint="08's masked_softmax: -1e6 gives a uniform row and -inf gives 0/0 = NaN; guard the row max and the row sum",
                ),
                Check(
                    "with w_v = 0 the weights are uniform over the valid keys",
                    zero_w_v_is_uniform,
                    examples=10,
                    hint="all scores are 0 then: each of the n valid keys gets 1/n, the masked ones 0",
                ),
                Check(
                    "is finite for large scores",
                    matches_reference(reference_additive_attention),
                    inputs=large_scores,
                    examples=10,
                    hint="subtract the row maximum over the valid keys before exp",
                    hint_when=NON_FINITE,
                ),
                Check(
                    "permuting keys and values together permutes the weights and keeps the context",
                    permuting_keys_permutes_weights,
                    inputs=permuted_keys,
                    **STRUCTURAL,
                    hint="each score depends on its own (query, key) pair only; the softmax runs over the keys (the last axis)",
                    gated=True,
                ),
                Check(
                    "valid_lens (B,) applies to every query row of its batch element",
                    batch_lengths_apply_to_every_row,
                    inputs=batch_lengths,
                    **STRUCTURAL,
                    hint="turn (B,) into (B, 1) so it broadcasts over the Q rows, then compare with arange(K)",
                    gated=True,
                ),
            ),
        ),
        Function(
            "attention_decoder_forward",
            decoder_inputs,
            points=3,
            reference=reference_decoder,
            reference_name="nn.Embedding + nn.GRU + nn.Linear with the same weights, one step at a time, with additive attention",
            efficiency=Efficiency(large_decoder, factor=20, why="the GRU inlined, its input projection split: within 2x; a loop over the 1024 sequences 300x and more"),
            tolerance=DECODER_TOLERANCE,
            checks=(
                Check(
                    "row t of the weights is the attention of step t",
                    weights_of_each_step,
                    inputs=with_lengths,
                    examples=10,
                    hint="query with s_{t-1}, the state BEFORE the step's GRU update, and mask the source with enc_valid_len",
                ),
                Check(
                    "works for a batch of one sequence",
                    one_sequence,
                    inputs=single_sequence,
                    examples=10,
                    hint="return one prediction per step, (B, T, V); squeeze() would also drop the batch axis when B = 1",
                ),
                Check(
                    "is causal: changing Y_in[:, t:] leaves logits[:, :t] unchanged",
                    causal,
                    inputs=with_new_tokens,
                    **STRUCTURAL,
                    hint="step t may only read Y_in[:, t] and the state of step t - 1",
                    gated=True,
                ),
                Check(
                    "encoder outputs at positions >= enc_valid_len change nothing",
                    encoder_padding_changes_nothing,
                    inputs=with_new_padding_outputs,
                    **STRUCTURAL,
                    hint="pass enc_valid_len to the attention: padded source positions must get weight 0",
                    gated=True,
                ),
                Check("enc_valid_len=None means every source position is valid", no_lengths_means_all_valid, inputs=with_lengths, **STRUCTURAL, gated=True),
            ),
        ),
    ),
    forbidden=(
        "torch.softmax", "torch.log_softmax", "torch.logsumexp", "torch.special.softmax", "torch.special.log_softmax",
        "torch.special.logsumexp", "torch.nn.functional.softmax", "torch.nn.functional.log_softmax",
        "torch.nn.functional.softmin", "torch.Tensor.softmax", "torch.Tensor.log_softmax", "torch.Tensor.logsumexp",
        "torch.nn.Softmax", "torch.nn.LogSoftmax", "torch.nn.Softmin", "torch.distributions",
        "torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss", "torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss",
        "torch.nn.GRU", "torch.nn.GRUCell", "torch.nn.RNNBase", "torch.nn.RNNCellBase", "torch.gru", "torch.gru_cell", "torch._VF",
        "torch.nn.Embedding", "torch.nn.functional.embedding", "torch.embedding",
        "torch.nn.MultiheadAttention", "torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward",
    ),
)

test_public = public_tests(ASSIGNMENT)
