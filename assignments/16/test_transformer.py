"""Public tests for assignment 16 (Transformer blocks).

Each graded function is described once below: how its inputs are drawn, which reference it
must match, and the properties it must have. The tests are generated from these records for
every dtype (and for CUDA when one is present). Run: pytest assignments/16
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st
from torch import nn

from kit.calls import Call
from kit.checks import on_meta
from kit.harness import NotStarted, StudentError, Trial, call_options
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import randn, seeded, tensors

NEG_INF = float("-inf")
# A layer sums products over the width and the keys, then divides by a row's standard
# deviation (twice or three times): a correct float32 answer computed in another order can
# differ from PyTorch's by a few 1e-5 relative. Every mistake the tests target is far larger.
TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5)}
# every row of X + Y has some spread: a row (nearly) constant is standardised by sqrt(eps), which turns the rounding
# of its mean (an ulp of its value) into an error 1/sqrt(eps) = 316 times larger, for any formulation
MIN_STD = 0.5
STRUCTURAL = {"dtypes": (torch.float32,), "examples": 10}  # checks the dtype does not change (the generic comparison runs in both)


def _seed(draw) -> torch.Generator:
    return torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))


def matches_reference(reference, what="output"):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference), what)

    return verify


# ---------------------------------------------------------------- causal_mask


@st.composite
def mask_sizes(draw, dtype):
    """causal_mask(L[, device='cpu'])."""
    L = draw(st.integers(1, 12))
    return Call((L,), {"device": "cpu"} if draw(st.booleans()) else {})


def reference_causal_mask(L, device=None):
    return nn.Transformer.generate_square_subsequent_mask(L, device=device) == NEG_INF


def true_above_the_diagonal(t: Trial) -> None:
    L = t.call.args[0]
    out = t.output
    if not isinstance(out, torch.Tensor) or out.shape != (L, L):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise AssertionError(f"expected an (L, L) = ({L}, {L}) tensor, got {got}")
    if out.dtype != torch.bool:
        raise AssertionError(f"expected a bool tensor (True = NOT allowed), got {out.dtype}")
    rows, cols = torch.meshgrid(torch.arange(L), torch.arange(L), indexing="ij")
    if out[rows == cols].any():
        raise AssertionError("the diagonal must be False: position i may attend to itself (j <= i is allowed)")
    if out[cols < rows].any():
        raise AssertionError("positions j < i (below the diagonal) must be False: the past is allowed")
    if not out[cols > rows].all():
        raise AssertionError("positions j > i (above the diagonal) must be True: True means attending is NOT allowed")


def _called_with_device(t: Trial, device: str):
    """causal_mask(L, device=device), run where `device` is: its output, as plain data.

    The runners move a call's tensors to the device under test and nothing else, and a call
    without tensor inputs must answer on the CPU (kit.harness.Trial.outcome). causal_mask has
    no tensor input: its device comes in as `device=`. So this runs the call itself, with
    `device=` the device under test, and asks for the output on that device.
    """
    L = t.call.args[0]
    # benchmarks/device_check.py --rehearse runs the CUDA checks without CUDA, the CPU standing in: ask for the CPU there
    asked = "cpu" if device == "cuda" and not torch.cuda.is_available() else device
    outcome = t.runner.run(t.function.name, t.call.replace(device=asked), device, **call_options(t.function, t.check))
    if outcome.not_implemented:
        raise NotStarted(outcome.error)
    if outcome.error is not None:
        raise StudentError(outcome.error)
    wrong = sorted({d for d in outcome.devices if d not in (device, asked)})
    if wrong:
        raise AssertionError(f"causal_mask({L}, device={device!r}) returned a tensor on {wrong[0]}, not on {device}")
    return outcome.output


def made_on_meta(t: Trial) -> None:
    out = _called_with_device(t, "meta")
    t.assert_close(out, on_meta(t.expected(reference_causal_mask)), "causal_mask(L, device='meta')")


def made_on_cuda(t: Trial) -> None:
    out = _called_with_device(t, "cuda")
    t.assert_close(out, t.expected(reference_causal_mask), "causal_mask(L, device='cuda') compared with the CPU mask")


# ---------------------------------------------------------------- position_wise_ffn


@st.composite
def ffn_inputs(draw, dtype, leading=(0, 1, 2), b2_shift=0.0):
    """position_wise_ffn(X (..., E), W1 (F, E), b1 (F,), W2 (E, F), b2 (E,)), 0 to 2 leading axes; the weights from a drawn seed."""
    lead = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.sampled_from(leading))))
    E, Fd = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    X = draw(tensors((*lead, E), dtype, -3, 3))
    g = _seed(draw)
    W1, b1 = randn(g, Fd, E, dtype=dtype, scale=1 / math.sqrt(E)), randn(g, Fd, dtype=dtype, scale=0.5)
    W2, b2 = randn(g, E, Fd, dtype=dtype, scale=1 / math.sqrt(Fd)), randn(g, E, dtype=dtype, scale=0.5)
    return Call((X, W1, b1, W2, b2 + b2_shift))


def negative_outputs(dtype):
    return ffn_inputs(dtype, b2_shift=-3.0)  # most outputs are negative: a ReLU after the second layer zeroes them


def several_positions(dtype):
    return ffn_inputs(dtype, leading=(1, 2))


def reference_ffn(X, W1, b1, W2, b2):
    return F.linear(F.relu(F.linear(X, W1, b1)), W2, b2)


def each_position_alone(t: Trial) -> None:
    X, W1, b1, W2, b2 = t.call.args
    rows = X.reshape(-1, X.shape[-1])
    alone = [t.run(Call((rows[i], W1, b1, W2, b2))) for i in range(min(rows.shape[0], 4))]
    out = t.output
    if not isinstance(out, torch.Tensor) or out.shape != X.shape:
        raise AssertionError(f"expected X's shape {tuple(X.shape)}")
    for i, row in enumerate(alone):
        t.assert_close(out.reshape(-1, X.shape[-1])[i], row, f"position {i} compared with the network applied to it alone")


# ---------------------------------------------------------------- add_norm


@st.composite
def add_norm_inputs(draw, dtype, eps=(None, None, 1e-5, 1e-3, 0.1)):
    """add_norm(X (..., E), Y (..., E), weight (E,), bias (E,)[, eps=...]), 0 to 2 leading axes; Y, weight and bias from a seed."""
    lead = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 2))))
    E = draw(st.integers(2, 8))
    X = draw(tensors((*lead, E), dtype, -5, 5))
    g = _seed(draw)
    Y = randn(g, *lead, E, dtype=dtype, scale=2.0)
    assume(bool(((X + Y).double().std(dim=-1, unbiased=False) >= MIN_STD).all()))
    weight, bias = 1 + randn(g, E, dtype=dtype, scale=0.5), randn(g, E, dtype=dtype)
    value = draw(st.sampled_from(eps))
    return Call((X, Y, weight, bias), {} if value is None else {"eps": value})


def large_eps(dtype):
    return add_norm_inputs(dtype, eps=(0.5, 1.0, 4.0))


@seeded
def unit_affine(g, dtype):
    """Rows with a spread (never constant), weight 1, bias 0, the default eps."""
    B, L, E = 3, 4, int(torch.randint(2, 9, (), generator=g))
    X, Y = randn(g, B, L, E, dtype=dtype, scale=3.0), randn(g, B, L, E, dtype=dtype)
    return Call((X, Y, torch.ones(E, dtype=dtype), torch.zeros(E, dtype=dtype)))


def reference_add_norm(X, Y, weight, bias, eps=1e-5):
    return F.layer_norm(X + Y, (X.shape[-1],), weight, bias, eps)


def standardised_rows(t: Trial) -> None:
    X, Y = t.call.args[:2]
    out = t.output
    if not isinstance(out, torch.Tensor) or out.shape != X.shape:
        raise AssertionError(f"expected X's shape {tuple(X.shape)}")
    total = (X + Y).double()
    spread = total.var(dim=-1, unbiased=False)
    t.assert_close(out.mean(dim=-1), torch.zeros(X.shape[:-1], dtype=out.dtype), "row means (weight 1, bias 0)", scale=10)
    # the biased variance of (s - mean) / sqrt(var + eps) is var / (var + eps): 1 up to eps / var
    t.assert_close(out.var(dim=-1, unbiased=False), (spread / (spread + 1e-5)).to(out.dtype), "row variances (biased, weight 1, bias 0)", scale=10)


# ---------------------------------------------------------------- encoder_block and decoder_block


def layer_params(g: torch.Generator, E: int, Fd: int, dtype: torch.dtype, decoder: bool = False) -> dict[str, torch.Tensor]:
    """A layer's state_dict, drawn at about PyTorch's default scale; the norms' weights far from 1 and biases far from 0."""
    s = 1 / math.sqrt(E)
    params = {}
    for attn in ("self_attn", "multihead_attn") if decoder else ("self_attn",):
        params[f"{attn}.in_proj_weight"] = randn(g, 3 * E, E, dtype=dtype, scale=2 * s)  # sharp enough that the weights are far from uniform
        params[f"{attn}.in_proj_bias"] = randn(g, 3 * E, dtype=dtype, scale=0.5)
        params[f"{attn}.out_proj.weight"] = randn(g, E, E, dtype=dtype, scale=s)
        params[f"{attn}.out_proj.bias"] = randn(g, E, dtype=dtype, scale=0.5)
    params["linear1.weight"] = randn(g, Fd, E, dtype=dtype, scale=s)
    params["linear1.bias"] = randn(g, Fd, dtype=dtype, scale=0.5)
    params["linear2.weight"] = randn(g, E, Fd, dtype=dtype, scale=1 / math.sqrt(Fd))
    params["linear2.bias"] = randn(g, E, dtype=dtype, scale=0.5)
    for norm in ("norm1", "norm2", "norm3") if decoder else ("norm1", "norm2"):
        params[f"{norm}.weight"] = 1 + randn(g, E, dtype=dtype, scale=0.5)
        params[f"{norm}.bias"] = randn(g, E, dtype=dtype, scale=0.5)
    return params


def _sizes(draw, heads=(1, 2, 3)) -> tuple[int, int, int]:
    """(H, E, F): E = H * d >= 2 (a layer norm over one feature is its bias), F the hidden width."""
    H = draw(st.sampled_from(heads))
    E = H * draw(st.integers(2 if H == 1 else 1, 3))
    return H, E, draw(st.integers(1, 8))


def unmask_empty_rows(padding, attn, B, H, L, S):
    """Allow key l % S in every (batch, head, query) row that forbids all keys (PyTorch returns NaN there)."""
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


def _padding(draw, g, B, n, kind, dtype, always=False):
    """A key padding mask (B, n) from `g`: bool (position 0 never padded, so every row keeps a key) or float, or None."""
    if not always and not draw(st.booleans()):
        return None
    if kind == "float":
        return randn(g, B, n, dtype=dtype, scale=2.0)
    mask = torch.rand(B, n, generator=g) < 0.4
    mask[:, 0] = False
    return mask


def _attn_mask(draw, g, B, H, L, kind, dtype):
    """An attention mask (L, L) or (B*H, L, L) from `g`: bool (True = NOT allowed) or float."""
    shape = (L, L) if draw(st.booleans()) else (B * H, L, L)
    return torch.rand(shape, generator=g) < 0.4 if kind == "bool" else randn(g, *shape, dtype=dtype, scale=2.0)


def causal_float(L, dtype):
    return nn.Transformer.generate_square_subsequent_mask(L, dtype=dtype)


@st.composite
def encoder_inputs(draw, dtype, masks=("none", "bool", "bool", "float", "causal"), heads=(1, 2, 3), extra_kind=None, lengths=(1, 5)):
    """encoder_block(X (B, L, E), params, H[, key_padding_mask=(B, L)][, attn_mask=(L, L) | (B*H, L, L)]).

    Masks of one kind at a time (bool: True = NOT allowed; float: added), never a row that
    allows no key. `extra_kind`: "permutation" (of the L positions) or "padding" (a bool
    key_padding_mask always, and fresh values for the padded positions).
    """
    B, L = draw(st.integers(1, 3)), draw(st.integers(*lengths))
    H, E, Fd = _sizes(draw, heads)
    X = draw(tensors((B, L, E), dtype, -2, 2))
    g = _seed(draw)
    params = layer_params(g, E, Fd, dtype)
    kind = "bool" if extra_kind == "padding" else draw(st.sampled_from(masks))
    kwargs, padding, attn = {}, None, None
    if kind == "bool":
        padding = _padding(draw, g, B, L, "bool", dtype, always=extra_kind == "padding")
        if extra_kind != "padding" and (padding is None or draw(st.booleans())):
            attn = _attn_mask(draw, g, B, H, L, "bool", dtype)
        padding, attn = unmask_empty_rows(padding, attn, B, H, L, L)
    elif kind == "float":
        padding = _padding(draw, g, B, L, "float", dtype)
        if padding is None or draw(st.booleans()):
            attn = _attn_mask(draw, g, B, H, L, "float", dtype)
    elif kind == "causal":
        as_float = draw(st.booleans())
        attn = causal_float(L, dtype) if as_float else torch.ones(L, L, dtype=torch.bool).triu(1)
        padding = _padding(draw, g, B, L, "float" if as_float else "bool", dtype)
    if padding is not None:
        kwargs["key_padding_mask"] = padding
    if attn is not None:
        kwargs["attn_mask"] = attn
    extra = {}
    if extra_kind == "permutation":
        extra = {"permutation": draw(st.permutations(range(L)))}
    elif extra_kind == "padding":
        extra = {"X": randn(g, B, L, E, dtype=dtype)}
    return Call((X, params, H), kwargs, extra=extra)


def unmasked_encoder(dtype):
    return encoder_inputs(dtype, masks=("none",))


def bool_encoder(dtype):
    return encoder_inputs(dtype, masks=("bool", "causal"))


def permuted_positions(dtype):
    return encoder_inputs(dtype, masks=("none",), extra_kind="permutation", lengths=(2, 5))


def padded_sources(dtype):
    return encoder_inputs(dtype, extra_kind="padding", lengths=(2, 5))


_LAYERS: dict[tuple, nn.Module] = {}


def _layer(kind: type, E: int, H: int, Fd: int, dtype: torch.dtype) -> nn.Module:
    """A cached layer of these sizes (building one draws its initial weights: slow), in training mode, dropout 0."""
    key = (kind, E, H, Fd, dtype)
    if key not in _LAYERS:
        _LAYERS[key] = kind(E, H, Fd, dropout=0.0, batch_first=True, norm_first=False, dtype=dtype).train()
    return _LAYERS[key]


def reference_encoder_block(X, params, num_heads, key_padding_mask=None, attn_mask=None):
    """nn.TransformerEncoderLayer holding the same weights, in training mode (eval mode takes PyTorch's fused fast path)."""
    layer = _layer(nn.TransformerEncoderLayer, X.shape[-1], num_heads, params["linear1.weight"].shape[0], X.dtype)
    with torch.no_grad():
        layer.load_state_dict(params)
        return layer(X, src_mask=attn_mask, src_key_padding_mask=key_padding_mask)


@st.composite
def decoder_inputs(draw, dtype, tgt=("none", "causal", "causal", "causal_float", "bool"), extra_kind=None, cross_only=False):
    """decoder_block(X (B, L, E), memory (B, S, E), params, H[, tgt_mask][, tgt_key_padding_mask][, memory_key_padding_mask]).

    S differs from L most of the time. tgt_mask: None, the causal mask (bool or float), or a
    random bool mask ((L, L) or (B*H, L, L)); the target's padding mask of the same kind, the
    memory's bool. `extra_kind`: "causal" (the bool causal mask, a cut 1 <= t < L and fresh
    targets) or "padding" (both padding masks, fresh values for the padded positions).
    `cross_only`: S != L and no mask at all.
    """
    B, L = draw(st.integers(1, 3)), draw(st.integers(2 if extra_kind == "causal" else 1, 5))
    S = draw(st.integers(1, 5).filter(lambda s: s != L)) if cross_only else draw(st.integers(1, 5))
    H, E, Fd = _sizes(draw)
    X, memory = draw(tensors((B, L, E), dtype, -2, 2)), draw(tensors((B, S, E), dtype, -2, 2))
    g = _seed(draw)
    params = layer_params(g, E, Fd, dtype, decoder=True)
    padded = extra_kind == "padding"
    if cross_only or extra_kind == "causal":
        kind = "none" if cross_only else "causal"
    else:
        kind = draw(st.sampled_from(("none", "causal") if padded else tgt))  # bool padding masks only, when padded
    tgt_padding, tgt_mask = None, None
    if kind in ("causal", "none") and not cross_only:
        tgt_padding = _padding(draw, g, B, L, "bool", dtype, always=padded)
        tgt_mask = torch.ones(L, L, dtype=torch.bool).triu(1) if kind == "causal" else None
    elif kind == "causal_float":
        tgt_mask, tgt_padding = causal_float(L, dtype), _padding(draw, g, B, L, "float", dtype)
    elif kind == "bool":
        tgt_padding = _padding(draw, g, B, L, "bool", dtype)
        tgt_mask = _attn_mask(draw, g, B, H, L, "bool", dtype)
        tgt_padding, tgt_mask = unmask_empty_rows(tgt_padding, tgt_mask, B, H, L, L)
    memory_padding = None if cross_only else _padding(draw, g, B, S, "bool", dtype, always=padded)
    kwargs = {"tgt_mask": tgt_mask, "tgt_key_padding_mask": tgt_padding, "memory_key_padding_mask": memory_padding}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    extra = {}
    if extra_kind == "causal":
        extra = {"cut": draw(st.integers(1, L - 1)), "X": randn(g, B, L, E, dtype=dtype)}
    elif extra_kind == "padding":
        extra = {"X": randn(g, B, L, E, dtype=dtype), "memory": randn(g, B, S, E, dtype=dtype)}
    return Call((X, memory, params, H), kwargs, extra=extra)


def causal_targets(dtype):
    return decoder_inputs(dtype, extra_kind="causal")


def cross_attention_only(dtype):
    return decoder_inputs(dtype, cross_only=True)


def padded_targets_and_memory(dtype):
    return decoder_inputs(dtype, extra_kind="padding")


def reference_decoder_block(X, memory, params, num_heads, tgt_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None):
    """nn.TransformerDecoderLayer holding the same weights, in training mode."""
    layer = _layer(nn.TransformerDecoderLayer, X.shape[-1], num_heads, params["linear1.weight"].shape[0], X.dtype)
    with torch.no_grad():
        layer.load_state_dict(params)
        return layer(
            X, memory, tgt_mask=tgt_mask, tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
        )


def _tensor(t: Trial, out=None) -> torch.Tensor:
    out = t.output if out is None else out
    X = t.call.args[0]
    if not isinstance(out, torch.Tensor) or out.shape != X.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise AssertionError(f"expected one tensor of X's shape {tuple(X.shape)}, got {got}")
    return out


def permuting_positions_permutes_outputs(t: Trial) -> None:
    X, params, H = t.call.args
    perm = torch.tensor(t.call.extra["permutation"], dtype=torch.int64)
    out = _tensor(t)
    other = _tensor(t, t.run(Call((X[:, perm], params, H))))
    t.assert_close(other, out[:, perm], "output for the positions permuted, compared with the output permuted")


def encoder_padding_changes_nothing(t: Trial) -> None:
    X, params, H = t.call.args
    padding = t.call.kwargs["key_padding_mask"]
    changed = torch.where(padding[..., None], t.call.extra["X"], X)
    out, other = _tensor(t), _tensor(t, t.run(t.call.replace(changed, params, H)))
    t.assert_close(other[~padding], out[~padding], "outputs at the positions with key_padding_mask False, after changing X where it is True")


def causal(t: Trial) -> None:
    X, memory, params, H = t.call.args
    cut = t.call.extra["cut"]
    changed = X.clone()
    changed[:, cut:] = t.call.extra["X"][:, cut:]
    out, other = _tensor(t), _tensor(t, t.run(t.call.replace(changed, memory, params, H)))
    t.assert_close(other[:, :cut], out[:, :cut], f"out[:, :{cut}] after changing X[:, {cut}:] (tgt_mask = causal_mask(L))")


def decoder_padding_changes_nothing(t: Trial) -> None:
    X, memory, params, H = t.call.args
    tgt_padding, memory_padding = t.call.kwargs["tgt_key_padding_mask"], t.call.kwargs["memory_key_padding_mask"]
    changed_X = torch.where(tgt_padding[..., None], t.call.extra["X"], X)
    changed_memory = torch.where(memory_padding[..., None], t.call.extra["memory"], memory)
    out, other = _tensor(t), _tensor(t, t.run(t.call.replace(changed_X, changed_memory, params, H)))
    t.assert_close(
        other[~tgt_padding], out[~tgt_padding],
        "outputs at the unpadded target positions, after changing X and memory where their padding masks are True",
    )


# ---------------------------------------------------------------- embed_tokens


@st.composite
def embed_inputs(draw, dtype, longer=(0, 0, 1, 3), zeroed=False):
    """embed_tokens(tokens (B, L) in [0, V), table (V, E), pos_table (max_len, E)), max_len = L + 0..3.

    `zeroed`: either the positions or the table are all zero, so that a misplaced sqrt(E)
    shows on the other.
    """
    B, L, V, E = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 8)), draw(st.integers(2, 6))
    tokens = draw(tensors((B, L), torch.int64, 0, V - 1))
    g = _seed(draw)
    table = randn(g, V, E, dtype=dtype, scale=1 / math.sqrt(E))
    pos_table = randn(g, L + draw(st.sampled_from(longer)), E, dtype=dtype, scale=0.7)
    if zeroed:
        if draw(st.booleans()):
            pos_table = torch.zeros_like(pos_table)
        else:
            table = torch.zeros_like(table)
    return Call((tokens, table, pos_table))


def zeroed_parts(dtype):
    return embed_inputs(dtype, zeroed=True)


def longer_tables(dtype):
    return embed_inputs(dtype, longer=(1, 3, 10))


def reference_embed(tokens, table, pos_table):
    return F.embedding(tokens, table) * math.sqrt(table.shape[1]) + pos_table[: tokens.shape[-1]]


# ---------------------------------------------------------------- label_smoothing_cross_entropy


@st.composite
def smoothing_inputs(
    draw, dtype, low=-10.0, high=10.0, smoothing=("drawn", "drawn", 0.0, 0.1, 1.0, None), ignore=("none", "default", "class", "negative"),
    reductions=(None, "mean", "sum", "none"),
):
    """label_smoothing_cross_entropy(logits (N, C), target (N,)[, smoothing=][, ignore_index=][, reduction=]).

    ignore: "none" (nothing ignored), "default" (some targets -100, the default ignore_index),
    "class" (ignore_index a class id: its targets are ignored), "negative" (ignore_index=-1).
    At least one target is not ignored.
    """
    N, C = draw(st.integers(1, 6)), draw(st.integers(2, 8))
    logits = draw(tensors((N, C), dtype, low, high))
    target = draw(tensors((N,), torch.int64, 0, C - 1))
    kwargs = {}
    kind = draw(st.sampled_from(smoothing))
    if kind is not None:
        kwargs["smoothing"] = draw(st.floats(0.0, 1.0)) if kind == "drawn" else kind
    how = draw(st.sampled_from(ignore))
    index = {"none": -100, "default": -100, "class": draw(st.integers(0, C - 1)), "negative": -1}[how]
    if how in ("default", "negative"):
        dropped = draw(st.lists(st.booleans(), min_size=N, max_size=N).map(torch.tensor))
        target = target.masked_fill(dropped, index)
    if how in ("class", "negative"):
        kwargs["ignore_index"] = index
    if (target == index).all():
        target[0] = (index + 1) % C if how == "class" else 0
    reduction = draw(st.sampled_from(reductions))
    if reduction is not None:
        kwargs["reduction"] = reduction
    return Call((logits, target), kwargs)


def no_smoothing(dtype):
    return smoothing_inputs(dtype, smoothing=(None, 0.0))


def strong_smoothing(dtype):
    return smoothing_inputs(dtype, smoothing=(0.5, 1.0, "drawn"), ignore=("none",))


def huge_logits(dtype):
    return smoothing_inputs(dtype, -1e4, 1e4)


def ignored_rows(dtype):
    return smoothing_inputs(dtype, ignore=("default", "class", "negative"))


def no_reduction_given(dtype):
    return smoothing_inputs(dtype, reductions=(None,))


@seeded
def at_the_smoothed_target(g, dtype):
    """logits = log((1 - eps) one_hot + eps / C) + a shift per row, reduction='none'; `extra`: a small step away."""
    N, C = int(torch.randint(1, 6, (), generator=g)), int(torch.randint(2, 9, (), generator=g))
    eps = float(torch.empty(()).uniform_(0.05, 0.95, generator=g))
    target = torch.randint(0, C, (N,), generator=g)
    q = torch.full((N, C), eps / C, dtype=torch.float64)
    q[torch.arange(N), target] += 1 - eps
    logits = (q.log() + randn(g, N, 1, dtype=torch.float64, scale=3.0)).to(dtype)
    step = randn(g, N, C, dtype=dtype, scale=0.3)
    return Call((logits, target), {"smoothing": eps, "reduction": "none"}, extra={"step": step, "q": q})


def reference_smoothed_ce(logits, target, smoothing=0.0, ignore_index=-100, reduction="mean"):
    return F.cross_entropy(logits, target, ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)


def plain_cross_entropy(logits, target, smoothing=0.0, ignore_index=-100, reduction="mean"):
    return F.cross_entropy(logits, target, ignore_index=ignore_index, reduction=reduction)


def minimum_at_the_smoothed_target(t: Trial) -> None:
    logits, target = t.call.args
    q = t.call.extra["q"]
    entropy = -(q * q.log()).sum(-1)  # the cross-entropy of q with itself: its minimum over the logits
    out = t.output
    t.assert_close(out, entropy.to(logits.dtype), "loss at logits = log((1 - eps) one_hot + eps / C) (the target's entropy)")
    moved = t.run(t.call.replace(logits + t.call.extra["step"], target))
    if isinstance(moved, torch.Tensor) and moved.shape == out.shape and (moved < out - 1e-4).any():
        raise AssertionError("a small change of the logits lowered the loss: the minimum must be at p = (1 - eps) one_hot + eps / C")


def reductions_agree(t: Trial) -> None:
    logits, target = t.call.args
    none, total, mean = (t.run(t.call.replace(reduction=r)) for r in ("none", "sum", "mean"))
    t.assert_close(total, none.sum(), "reduction='sum' compared with reduction='none' summed", scale=10)
    kept = int((target != t.call.kwargs.get("ignore_index", -100)).sum())
    t.assert_close(mean * kept, total, f"reduction='mean' times the {kept} targets not ignored, compared with reduction='sum'", scale=10)


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Large batches of short sequences: vectorised code is a handful of whole-batch operations; a
# Python loop over the batch runs them once per sequence (or row), 50x or more slower.


@seeded
def large_ffn(g, dtype):
    """position_wise_ffn(X (2048, 4, 8), W1 (16, 8), b1, W2 (8, 16), b2)."""
    return Call((randn(g, 2048, 4, 8, dtype=dtype), randn(g, 16, 8, dtype=dtype, scale=0.3), randn(g, 16, dtype=dtype),
                 randn(g, 8, 16, dtype=dtype, scale=0.3), randn(g, 8, dtype=dtype)))


@seeded
def large_add_norm(g, dtype):
    """add_norm(X (2048, 4, 8), Y (2048, 4, 8), weight (8,), bias (8,))."""
    return Call((randn(g, 2048, 4, 8, dtype=dtype), randn(g, 2048, 4, 8, dtype=dtype), randn(g, 8, dtype=dtype), randn(g, 8, dtype=dtype)))


@seeded
def large_encoder(g, dtype):
    """encoder_block on 512 sequences of 4 positions, E = 8, H = 2, F = 16, a key padding mask."""
    B, L, E, H, Fd = 512, 4, 8, 2, 16
    padding = torch.rand(B, L, generator=g) < 0.3
    padding[:, 0] = False
    return Call((randn(g, B, L, E, dtype=dtype), layer_params(g, E, Fd, dtype), H), {"key_padding_mask": padding})


@seeded
def large_decoder(g, dtype):
    """decoder_block on 512 sequences of 4 targets and 4 memory positions, E = 8, H = 2, F = 16, causal."""
    B, L, S, E, H, Fd = 512, 4, 4, 8, 2, 16
    X, memory = randn(g, B, L, E, dtype=dtype), randn(g, B, S, E, dtype=dtype)
    return Call((X, memory, layer_params(g, E, Fd, dtype, decoder=True), H), {"tgt_mask": torch.ones(L, L, dtype=torch.bool).triu(1)})


@seeded
def large_embed(g, dtype):
    """embed_tokens(tokens (16384, 2) in [0, 64), table (64, 4), pos_table (8, 4))."""
    return Call((torch.randint(0, 64, (16384, 2), generator=g), randn(g, 64, 4, dtype=dtype), randn(g, 8, 4, dtype=dtype)))


@seeded
def large_smoothing(g, dtype):
    """label_smoothing_cross_entropy(logits (8192, 8), target with about 10% ignored, smoothing=0.1)."""
    target = torch.randint(0, 8, (8192,), generator=g).masked_fill(torch.rand(8192, generator=g) < 0.1, -100)
    return Call((randn(g, 8192, 8, dtype=dtype, scale=3.0), target), {"smoothing": 0.1})


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="16",
    module="transformer",
    title="Transformer blocks",
    functions=(
        Function(
            "causal_mask",
            mask_sizes,
            points=1,
            reference=reference_causal_mask,
            reference_name="nn.Transformer.generate_square_subsequent_mask(L) == -inf",
            checks=(
                Check(
                    "is True exactly above the diagonal (query i sees keys 0..i)",
                    true_above_the_diagonal,
                    hint="torch.ones(L, L, dtype=torch.bool).triu(1): True = NOT allowed, the diagonal stays False",
                ),
                # the generic check on the meta device calls causal_mask(L), which has no tensor to move: this one
                # passes device='meta' (meta=False below leaves the generic one out)
                Check(
                    "works on any device",
                    made_on_meta,
                    hint="build the mask with a factory that takes device= (torch.ones(L, L, dtype=torch.bool, device=device))",
                    dtypes=(torch.float32,),
                    examples=5,
                    gated=True,
                ),
                Check(
                    "causal_mask(L, device='cuda') is the same mask on CUDA",
                    made_on_cuda,
                    device="cuda",
                    hint="True above the diagonal on every device: make the mask on `device`, not on the CPU and then moved",
                    examples=5,
                    gated=True,
                ),
            ),
            dtypes=(torch.float32,),  # no floating-point input: one run is enough
            meta=False,  # replaced by "works on any device" above, which passes device='meta'
        ),
        Function(
            "position_wise_ffn",
            ffn_inputs,
            points=1,
            reference=reference_ffn,
            reference_name="F.linear(F.relu(F.linear(X, W1, b1)), W2, b2)",
            efficiency=Efficiency(large_ffn, factor=20, why="einsum or one (N, E) product: within 1.5x; a loop over the 2048 sequences 100x and more"),
            tolerance=TOLERANCE,
            checks=(
                Check(
                    "has no ReLU after the second layer",
                    matches_reference(reference_ffn),
                    inputs=negative_outputs,
                    **STRUCTURAL,
                    hint="relu(X W1^T + b1) W2^T + b2: the output of the second layer is returned as it is, negative values included",
                ),
                Check(
                    "transforms every position on its own",
                    each_position_alone,
                    inputs=several_positions,
                    **STRUCTURAL,
                    hint="a matrix product over the last axis only: X @ W1.T works for any number of leading axes",
                    gated=True,
                ),
            ),
        ),
        Function(
            "add_norm",
            add_norm_inputs,
            points=1,
            reference=reference_add_norm,
            reference_name="F.layer_norm(X + Y, (E,), weight, bias, eps)",
            efficiency=Efficiency(large_add_norm, factor=20, why="float64 inside or var_mean: within 2x; a loop over the 2048 sequences 100x and more"),
            tolerance=TOLERANCE,
            checks=(
                Check(
                    "with weight 1 and bias 0 every row has mean 0 and biased variance ~1",
                    standardised_rows,
                    inputs=unit_affine,
                    **STRUCTURAL,
                    hint="normalise the SUM X + Y over the last axis with the biased variance (divide by E, not E - 1)",
                ),
                Check(
                    "adds eps to the variance inside the square root",
                    matches_reference(reference_add_norm),
                    inputs=large_eps,
                    **STRUCTURAL,
                    hint="(s - mean) / sqrt(var + eps) with the eps given, not the default 1e-5 and not outside the root",
                ),
            ),
        ),
        Function(
            "encoder_block",
            encoder_inputs,
            points=2,
            reference=reference_encoder_block,
            reference_name="nn.TransformerEncoderLayer(E, H, F, dropout=0.0, batch_first=True) in training mode, same weights",
            efficiency=Efficiency(large_encoder, factor=20, why="the pasted 08 attention and einsum forms: within 3x; a loop over the 512 sequences 100x and more"),
            tolerance=TOLERANCE,
            checks=(
                Check(
                    "post-norm: normalises after each residual sum",
                    matches_reference(reference_encoder_block, "output without masks"),
                    inputs=unmasked_encoder,
                    **STRUCTURAL,
                    hint="Y = add_norm(X, MHA(X, X, X)) with norm1, then add_norm(Y, ffn(Y)) with norm2; X + MHA(layer_norm(X)) is the pre-norm layer",
                ),
                Check(
                    "boolean masks are True where attending is NOT allowed",
                    matches_reference(reference_encoder_block, "output with boolean masks"),
                    inputs=bool_encoder,
                    **STRUCTURAL,
                    hint="hand key_padding_mask and attn_mask to your multi_head_attention as they are (nn.MultiheadAttention's convention)",
                ),
                Check(
                    "permuting the positions permutes the outputs (no mask)",
                    permuting_positions_permutes_outputs,
                    inputs=permuted_positions,
                    **STRUCTURAL,
                    hint="self-attention and the position-wise sub-layers treat positions alike: nothing may depend on the index l",
                    gated=True,
                ),
                Check(
                    "changing padded positions changes no other position's output",
                    encoder_padding_changes_nothing,
                    inputs=padded_sources,
                    **STRUCTURAL,
                    hint="pass key_padding_mask to the self-attention: padded keys must get weight 0",
                    gated=True,
                ),
            ),
        ),
        Function(
            "decoder_block",
            decoder_inputs,
            points=2,
            reference=reference_decoder_block,
            reference_name="nn.TransformerDecoderLayer(E, H, F, dropout=0.0, batch_first=True) in training mode, same weights",
            efficiency=Efficiency(large_decoder, factor=20, why="the pasted 08 attention and einsum forms: within 3x; a loop over the 512 sequences 100x and more"),
            tolerance=TOLERANCE,
            checks=(
                Check(
                    "is causal with tgt_mask = causal_mask(L): changing X[:, t:] leaves out[:, :t] unchanged",
                    causal,
                    inputs=causal_targets,
                    **STRUCTURAL,
                    hint="the mask must be True ABOVE the diagonal, where attending is NOT allowed: give tgt_mask to the self-attention as it is",
                    gated=True,
                ),
                Check(
                    "cross-attention: queries from the target, keys and values from memory",
                    matches_reference(reference_decoder_block, "output with memory of another length, no mask"),
                    inputs=cross_attention_only,
                    **STRUCTURAL,
                    hint="multi_head_attention(Y, memory, memory) with the multihead_attn weights, Y the output of the first add & norm",
                ),
                Check(
                    "changing padded targets or memory changes no unpadded output",
                    decoder_padding_changes_nothing,
                    inputs=padded_targets_and_memory,
                    **STRUCTURAL,
                    hint="tgt_key_padding_mask goes to the self-attention, memory_key_padding_mask to the cross-attention",
                    gated=True,
                ),
            ),
        ),
        Function(
            "embed_tokens",
            embed_inputs,
            points=1,
            reference=reference_embed,
            reference_name="F.embedding(tokens, table) * sqrt(E) + pos_table[:L]",
            efficiency=Efficiency(large_embed, factor=20, why="index_select or a one-hot product: within 3x; a loop over the 16384 sequences 100x and more"),
            tolerance=TOLERANCE,
            checks=(
                Check(
                    "scales the embeddings by sqrt(E), not the positions",
                    matches_reference(reference_embed),
                    inputs=zeroed_parts,
                    **STRUCTURAL,
                    hint="table[tokens] * sqrt(E) with E = table.shape[1], then + pos_table[:L] as it is",
                ),
                Check(
                    "uses the first L rows of a longer pos_table",
                    matches_reference(reference_embed),
                    inputs=longer_tables,
                    **STRUCTURAL,
                    hint="position l gets pos_table[l]: slice pos_table[:L] with L = tokens.shape[1]",
                ),
            ),
        ),
        Function(
            "label_smoothing_cross_entropy",
            smoothing_inputs,
            points=2,
            reference=reference_smoothed_ce,
            reference_name="F.cross_entropy(logits, target, label_smoothing=smoothing, ignore_index=..., reduction=...)",
            efficiency=Efficiency(large_smoothing, factor=20, why="float64 and a one-hot target distribution: within 3x; a loop over the 8192 rows 100x and more"),
            tolerance=TOLERANCE,
            checks=(
                Check(
                    "with smoothing 0 it is plain cross-entropy",
                    matches_reference(plain_cross_entropy),
                    inputs=no_smoothing,
                    **STRUCTURAL,
                    hint="loss_i = -log_softmax(logits_i)[target_i]; gather along the class axis",
                ),
                Check(
                    "spreads eps / C over every class, the true one included",
                    matches_reference(reference_smoothed_ce),
                    inputs=strong_smoothing,
                    **STRUCTURAL,
                    hint="target distribution (1 - eps) one_hot + eps / C: loss = (1 - eps) nll + eps * mean over ALL C classes of -log p_c",
                ),
                Check(
                    "is smallest at p = (1 - eps) one_hot + eps / C",
                    minimum_at_the_smoothed_target,
                    inputs=at_the_smoothed_target,
                    **STRUCTURAL,
                    hint="the gradient with respect to the logits is softmax(logits) - the smoothed target: eps / C on every class",
                ),
                Check(
                    "ignored targets count neither in the sum nor in the mean",
                    matches_reference(reference_smoothed_ce),
                    inputs=ignored_rows,
                    **STRUCTURAL,
                    hint="zero both terms of an ignored row before reducing, and divide the mean by the number of targets != ignore_index",
                ),
                Check(
                    "is finite for logits of +-1e4",
                    matches_reference(reference_smoothed_ce),
                    inputs=huge_logits,
                    **STRUCTURAL,
                    hint="log_softmax with the log-sum-exp trick: subtract the row max before exp",
                    hint_when=NON_FINITE,
                ),
                Check("'sum' is 'none' summed and 'mean' times the targets kept is 'sum'", reductions_agree, inputs=no_reduction_given, **STRUCTURAL, gated=True),
            ),
        ),
    ),
    forbidden=(
        "torch.nn.Transformer", "torch.nn.TransformerEncoderLayer", "torch.nn.TransformerDecoderLayer",
        "torch.nn.TransformerEncoder", "torch.nn.TransformerDecoder",
        "torch.nn.MultiheadAttention", "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.functional.scaled_dot_product_attention", "torch._native_multi_head_attention",
        "torch.nn.functional.layer_norm", "torch.layer_norm", "torch.native_layer_norm", "torch.nn.LayerNorm",
        "torch.nn.functional.linear", "torch.nn.Linear",
        "torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss", "torch.nn.CrossEntropyLoss", "torch.nn.NLLLoss",
        "torch.softmax", "torch.log_softmax", "torch.special.softmax", "torch.special.log_softmax",
        "torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.Tensor.softmax", "torch.Tensor.log_softmax",
        "torch.nn.Softmax", "torch.nn.LogSoftmax",
        "torch.nn.functional.embedding", "torch.embedding", "torch.nn.Embedding",
    ),
)

test_public = public_tests(ASSIGNMENT)
