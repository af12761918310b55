"""Public tests for assignment 06 (recurrent cells and gradient clipping).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/06
"""

import torch
from hypothesis import strategies as st
from torch import nn

from kit.calls import Call
from kit.harness import StudentError, Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import floats, randn, seeded, shapes, tensors

GATES = {"rnn_cell": 1, "gru_cell": 3, "lstm_cell": 4}
SATURATED = 40.0  # sigmoid(40) == 1 and sigmoid(-40) == 0 to the last bit, in float32 and float64

# ---------------------------------------------------------------- inputs


@st.composite
def cell_call(draw, dtype, cell, biases=("both", "none", "ih", "hh"), max_batch=3, max_size=3, low=-3.0, high=3.0):
    """cell(x (B, I), h (B, H)[, c (B, H)], w_ih (G*H, I), w_hh (G*H, H), b_ih=?, b_hh=?[, nonlinearity=?]).

    Biases are each present or None (passed as None or left out); weights in [-1, 1].
    """
    gates = GATES[cell]
    batch, n_in, n_hidden = draw(st.integers(1, max_batch)), draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    args = [draw(tensors((batch, n_in), dtype, low, high)), draw(tensors((batch, n_hidden), dtype, -1, 1))]
    if cell == "lstm_cell":
        args.append(draw(tensors((batch, n_hidden), dtype, low, high)))
    args += [draw(tensors((gates * n_hidden, n_in), dtype, -1, 1)), draw(tensors((gates * n_hidden, n_hidden), dtype, -1, 1))]
    mode = draw(st.sampled_from(biases))
    kwargs = {}
    for name, present in (("b_ih", mode in ("both", "ih")), ("b_hh", mode in ("both", "hh"))):
        if present:
            kwargs[name] = draw(tensors((gates * n_hidden,), dtype, -1, 1))
        elif draw(st.booleans()):
            kwargs[name] = None
    if cell == "rnn_cell" and (nonlinearity := draw(st.sampled_from([None, "tanh", "relu"]))) is not None:
        kwargs["nonlinearity"] = nonlinearity
    return Call(tuple(args), kwargs)


def rnn_inputs(dtype):
    return cell_call(dtype, "rnn_cell")


def gru_inputs(dtype):
    return cell_call(dtype, "gru_cell")


def lstm_inputs(dtype):
    return cell_call(dtype, "lstm_cell")


def missing_bias(cell):
    def inputs(dtype):
        return cell_call(dtype, cell, biases=("none", "ih", "hh"))

    return inputs


@st.composite
def gradient_list(draw, dtype, low=-5.0, high=5.0, min_dims=1):
    """A list of 1 to 4 tensors of mixed shapes."""
    count = draw(st.integers(1, 4))
    return [draw(tensors(shapes(min_dims, 3, 1, 4), dtype, low, high)) for _ in range(count)]


def global_norm(grads) -> torch.Tensor:
    return torch.cat([g.double().reshape(-1) for g in grads]).norm()


@st.composite
def clip_inputs(draw, dtype):
    grads = draw(gradient_list(dtype))
    return Call((grads, draw(floats(torch.float64, 0.1, 20.0))))


@st.composite
def below_max_norm(draw, dtype):
    """max_norm between 1.5 and 100 times (global norm + 1e-6): nothing may change."""
    grads = draw(gradient_list(dtype))
    total = float(global_norm(grads))
    factor = draw(floats(torch.float64, 1.5, 100.0))
    return Call((grads, (total + 1e-6) * factor))


@st.composite
def above_max_norm(draw, dtype):
    """max_norm between 0.01 and 0.6 times the global norm: every gradient is scaled down."""
    grads = draw(gradient_list(dtype))
    if float(global_norm(grads)) < 1e-2:
        grads[0] = grads[0] + 1
    factor = draw(floats(torch.float64, 0.01, 0.6))
    return Call((grads, float(global_norm(grads)) * factor))


@st.composite
def tiny_gradients(draw, dtype):
    """Gradients of norm about 1e-6, where the 1e-6 in max_norm / (total_norm + 1e-6) matters."""
    grads = [g * 1e-7 for g in draw(gradient_list(dtype, 1.0, 5.0))]
    return Call((grads, draw(floats(torch.float64, 1e-8, 5e-7))))


@st.composite
def zero_gradients(draw, dtype):
    grads = [torch.zeros(shape, dtype=dtype) for shape in draw(st.lists(shapes(1, 3, 1, 4), min_size=1, max_size=4))]
    return Call((grads, draw(floats(torch.float64, 0.1, 20.0))))


# ---------------------------------------------------------------- references


def _load(cell: nn.Module, w_ih, w_hh, b_ih, b_hh) -> nn.Module:
    with torch.no_grad():
        cell.weight_ih.copy_(w_ih)
        cell.weight_hh.copy_(w_hh)
        if cell.bias:
            cell.bias_ih.copy_(b_ih if b_ih is not None else torch.zeros_like(cell.bias_ih))
            cell.bias_hh.copy_(b_hh if b_hh is not None else torch.zeros_like(cell.bias_hh))
    return cell


def _sizes(x, w_hh, gates):
    return x.shape[-1], w_hh.shape[0] // gates


def reference_rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    has_bias = b_ih is not None or b_hh is not None
    cell = nn.RNNCell(*_sizes(x, w_hh, 1), bias=has_bias, nonlinearity=nonlinearity, dtype=x.dtype)
    with torch.no_grad():
        return _load(cell, w_ih, w_hh, b_ih, b_hh)(x, h)


def reference_gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    cell = nn.GRUCell(*_sizes(x, w_hh, 3), bias=b_ih is not None or b_hh is not None, dtype=x.dtype)
    with torch.no_grad():
        return _load(cell, w_ih, w_hh, b_ih, b_hh)(x, h)


def reference_lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    cell = nn.LSTMCell(*_sizes(x, w_hh, 4), bias=b_ih is not None or b_hh is not None, dtype=x.dtype)
    with torch.no_grad():
        return _load(cell, w_ih, w_hh, b_ih, b_hh)(x, (h, c))


def reference_clip_grad_norm(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_ on copies of the gradients, set as .grad of dummy parameters."""
    params = [nn.Parameter(torch.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g.clone()
    total_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], total_norm


# ---------------------------------------------------------------- properties: cells


def missing_bias_is_zero(t: Trial) -> None:
    size = t.call.args[-1].shape[0]
    zeros = {name: torch.zeros(size, dtype=t.dtype) for name in ("b_ih", "b_hh") if t.call.kwargs.get(name) is None}
    with_zeros = t.run(t.call.replace(**zeros))
    t.assert_close(t.output, with_zeros, f"output with {' and '.join(zeros)}=None compared with zero biases")


def rows_are_independent(t: Trial) -> None:
    together = t.output
    args = t.call.args
    batched = len(args) - 2  # x, h (and c) come before the two weights
    if args[0].shape[0] < 2:
        return
    alone = t.run(Call(tuple(a[-1:] for a in args[:batched]) + args[batched:], t.call.kwargs))
    row = together[-1:] if isinstance(together, torch.Tensor) else tuple(out[-1:] for out in together)
    t.assert_close(alone, row, "the last example run on its own, compared with its row in the batch")


def default_is_tanh(t: Trial) -> None:
    plain = Call(t.call.args, {k: v for k, v in t.call.kwargs.items() if k != "nonlinearity"})
    t.assert_close(t.run(plain), t.run(plain.replace(nonlinearity="tanh")), "output without nonlinearity= compared with 'tanh'")


def unknown_nonlinearity_raises(t: Trial) -> None:
    try:
        t.run(t.call.replace(nonlinearity="sigmoid"))
    except StudentError as error:
        if str(error).startswith("ValueError"):
            return
        raise AssertionError(f"nonlinearity='sigmoid' must raise ValueError, got {error}") from None
    raise AssertionError("nonlinearity='sigmoid' must raise ValueError (like nn.RNNCell), but returned a value")


def saturate(t: Trial, gates: int, block_values: dict[int, float]) -> Call:
    """The call with the gate blocks in `block_values` pinned: their weights zeroed, b_ih set."""
    args = list(t.call.args)
    w_ih, w_hh = args[-2].clone(), args[-1].clone()
    n_hidden = w_hh.shape[0] // gates
    b_ih = t.call.kwargs.get("b_ih")
    b_ih = torch.zeros(gates * n_hidden, dtype=t.dtype) if b_ih is None else b_ih.clone()
    b_hh = t.call.kwargs.get("b_hh")
    b_hh = torch.zeros(gates * n_hidden, dtype=t.dtype) if b_hh is None else b_hh.clone()
    for block, value in block_values.items():
        rows = slice(block * n_hidden, (block + 1) * n_hidden)
        w_ih[rows], w_hh[rows], b_ih[rows], b_hh[rows] = 0, 0, value, 0
    args[-2:] = [w_ih, w_hh]
    return Call(tuple(args), {"b_ih": b_ih, "b_hh": b_hh})


def gru_update_gate_keeps_h(t: Trial) -> None:
    h = t.call.args[1]
    out = t.run(saturate(t, 3, {1: SATURATED}))
    t.assert_close(out, h, "h' with the update gate z pinned at 1 compared with h")


def gru_reset_gate_cuts_hidden_path(t: Trial) -> None:
    call = saturate(t, 3, {0: -SATURATED, 1: -SATURATED})
    x, _, w_ih, _ = call.args
    n_hidden = w_ih.shape[0] // 3
    b_hh = call.kwargs["b_hh"].clone()
    b_hh[2 * n_hidden :] = 1.0  # b_hn: PyTorch multiplies it by r as well
    call = call.replace(b_hh=b_hh)
    w_in, b_in = w_ih[2 * n_hidden :], call.kwargs["b_ih"][2 * n_hidden :]
    expected = torch.tanh(x @ w_in.T + b_in)
    t.assert_close(t.run(call), expected, "h' with r and z pinned at 0 compared with tanh(x W_in^T + b_in)")


def lstm_keeps_cell_state(t: Trial) -> None:
    c = t.call.args[2]
    h_next, c_next = t.run(saturate(t, 4, {0: -SATURATED, 1: SATURATED, 3: SATURATED}))
    t.assert_close(c_next, c, "c' with i = 0, f = 1 compared with c")
    t.assert_close(h_next, torch.tanh(c), "h' with i = 0, f = 1, o = 1 compared with tanh(c)")


def lstm_forgets_cell_state(t: Trial) -> None:
    c = t.call.args[2]
    call = saturate(t, 4, {0: SATURATED, 1: -SATURATED})
    args = list(call.args)
    args[2] = c + 1.0
    first, second = t.run(call), t.run(Call(tuple(args), call.kwargs))
    t.assert_close(second, first, "(h', c') with i = 1, f = 0 for cell states c and c + 1")


# ---------------------------------------------------------------- properties: clipping


def unchanged_below_max_norm(t: Trial) -> None:
    grads, _ = t.call.args
    clipped, _ = t.output
    if len(clipped) != len(grads):
        raise AssertionError(f"expected {len(grads)} clipped gradients, got {len(clipped)}")
    for i, (before, after) in enumerate(zip(grads, clipped, strict=True)):
        if not (isinstance(after, torch.Tensor) and after.shape == before.shape and torch.equal(after, before)):
            raise AssertionError(f"gradient {i} changed although the total norm is below max_norm (scale must be exactly 1)")


def one_common_scale(t: Trial) -> None:
    grads, _ = t.call.args
    clipped, _ = t.output
    if len(clipped) != len(grads):
        raise AssertionError(f"expected {len(grads)} clipped gradients, got {len(clipped)}")
    scale = global_norm(clipped) / global_norm(grads)
    for i, (before, after) in enumerate(zip(grads, clipped, strict=True)):
        t.assert_close(after, (before.double() * scale).to(t.dtype), f"gradient {i} compared with the common scale times it", scale=10)


def clipped_norm_is_max_norm(t: Trial) -> None:
    clipped, _ = t.output
    max_norm = t.call.args[1]
    total = float(global_norm(t.call.args[0]))
    expected = max_norm * total / (total + 1e-6)
    t.assert_close(float(global_norm(clipped)), expected, "global norm of the clipped gradients", scale=10)


def scale_uses_epsilon(t: Trial) -> None:
    grads, max_norm = t.call.args
    clipped, total_norm = t.output
    expected_clipped, expected_total = t.expected(reference_clip_grad_norm)
    t.assert_close(total_norm / expected_total, torch.ones((), dtype=t.dtype), "total_norm / its expected value", scale=10)
    for i, (g, got, want) in enumerate(zip(grads, clipped, expected_clipped, strict=True)):
        t.assert_close(got / g, want / g, f"gradient {i} divided by its input (the scale)", scale=10)


def zeros_stay_zeros(t: Trial) -> None:
    clipped, total_norm = t.output
    expected_clipped, expected_total = t.expected(reference_clip_grad_norm)
    t.assert_close(total_norm, expected_total, "total_norm of all-zero gradients")
    t.assert_close(clipped, expected_clipped, "clipped all-zero gradients")


# ---------------------------------------------------------------- large inputs (the efficiency check)

# A large batch of small states: one step of a vectorised cell is a handful of matrix products
# and activations; a Python loop over the batch runs them once per row, 50x or more slower.


def large_cell_call(cell: str, batch: int):
    """cell(x (batch, 4), h (batch, 8)[, c], w_ih (G*8, 4), w_hh (G*8, 8), b_ih=, b_hh=)."""

    @seeded
    def inputs(g, dtype):
        gates, n_in, n_hidden = GATES[cell], 4, 8
        args = [randn(g, batch, n_in, dtype=dtype), randn(g, batch, n_hidden, dtype=dtype, scale=0.5)]
        if cell == "lstm_cell":
            args.append(randn(g, batch, n_hidden, dtype=dtype))
        args += [randn(g, gates * n_hidden, n_in, dtype=dtype, scale=0.5), randn(g, gates * n_hidden, n_hidden, dtype=dtype, scale=0.5)]
        return Call(tuple(args), {"b_ih": randn(g, gates * n_hidden, dtype=dtype, scale=0.5), "b_hh": randn(g, gates * n_hidden, dtype=dtype, scale=0.5)})

    return inputs


@seeded
def large_gradients(g, dtype):
    """clip_grad_norm([(8192, 4), (4096, 4), (4096,)], max_norm): a loop over the 3 tensors is fine, over their rows is not."""
    grads = [randn(g, 8192, 4, dtype=dtype), randn(g, 4096, 4, dtype=dtype), randn(g, 4096, dtype=dtype)]
    return Call((grads, 50.0))


# ---------------------------------------------------------------- the assignment

CELL_TOLERANCE = {torch.float32: Tolerance(1e-5, 1e-5)}
STRUCTURAL = {"dtypes": (torch.float32,), "examples": 10}  # properties that do not depend on the dtype

ASSIGNMENT = Assignment(
    id="06",
    module="rnn",
    title="recurrent cells and gradient clipping",
    functions=(
        Function(
            "rnn_cell",
            rnn_inputs,
            points=2,
            reference=reference_rnn_cell,
            reference_name="nn.RNNCell with the same weights",
            efficiency=Efficiency(large_cell_call("rnn_cell", 4096), factor=20, why="einsum, one concatenated product: within 1.5x; a loop over the batch 280x and more"),
            tolerance=CELL_TOLERANCE,
            checks=(
                Check("treats a None bias as no bias", missing_bias_is_zero, inputs=missing_bias("rnn_cell"), **STRUCTURAL, hint="add b_ih and b_hh each only when it is not None", gated=True),
                Check("computes each row of the batch on its own", rows_are_independent, **STRUCTURAL, hint="x @ w_ih.T mixes input features, never batch rows", gated=True),
                Check("defaults to nonlinearity='tanh'", default_is_tanh, **STRUCTURAL, gated=True),
                Check("raises ValueError for an unknown nonlinearity", unknown_nonlinearity_raises, dtypes=(torch.float32,), examples=3, hint="nn.RNNCell accepts 'tanh' and 'relu' only", gated=True),
            ),
        ),
        Function(
            "gru_cell",
            gru_inputs,
            points=3,
            reference=reference_gru_cell,
            reference_name="nn.GRUCell with the same weights",
            efficiency=Efficiency(large_cell_call("gru_cell", 2048), factor=20, why="gate by gate through a helper costs 1.5x; a loop over the batch 110x and more"),
            tolerance=CELL_TOLERANCE,
            checks=(
                Check("keeps h when the update gate z is 1", gru_update_gate_keeps_h, hint="h' = (1 - z) * n + z * h, with the gate blocks stacked (r, z, n)"),
                Check(
                    "drops h W_hn^T + b_hn when the reset gate r is 0",
                    gru_reset_gate_cuts_hidden_path,
                    hint="PyTorch's candidate is n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)); the book puts r on h before the product",
                ),
                Check("treats a None bias as no bias", missing_bias_is_zero, inputs=missing_bias("gru_cell"), **STRUCTURAL, gated=True),
                Check("computes each row of the batch on its own", rows_are_independent, **STRUCTURAL, gated=True),
            ),
        ),
        Function(
            "lstm_cell",
            lstm_inputs,
            points=3,
            reference=reference_lstm_cell,
            reference_name="nn.LSTMCell with the same weights",
            efficiency=Efficiency(large_cell_call("lstm_cell", 2048), factor=20, why="sigmoid by hand costs 1.1x; a loop over the batch 110x and more"),
            tolerance=CELL_TOLERANCE,
            checks=(
                Check(
                    "keeps c when i = 0 and f = 1, and then h' = o * tanh(c)",
                    lstm_keeps_cell_state,
                    hint="gate blocks are stacked (i, f, g, o); c' = f * c + i * g and h' = o * tanh(c')",
                ),
                Check("forgets c when i = 1 and f = 0", lstm_forgets_cell_state, hint="the forget gate f multiplies the old cell state c", gated=True),
                Check("treats a None bias as no bias", missing_bias_is_zero, inputs=missing_bias("lstm_cell"), **STRUCTURAL, gated=True),
                Check("computes each row of the batch on its own", rows_are_independent, **STRUCTURAL, gated=True),
            ),
        ),
        Function(
            "clip_grad_norm",
            clip_inputs,
            points=2,
            reference=reference_clip_grad_norm,
            reference_name="torch.nn.utils.clip_grad_norm_ on copies",
            efficiency=Efficiency(large_gradients, factor=20, why="a float64 norm and torch.where cost 1.2x; a loop over the rows 230x and more"),
            checks=(
                Check(
                    "leaves gradients exactly unchanged below max_norm",
                    unchanged_below_max_norm,
                    inputs=below_max_norm,
                    hint="scale = min(1, max_norm / (total_norm + 1e-6)): no rescaling at all when the norm is small",
                ),
                Check(
                    "scales all gradients by one common factor",
                    one_common_scale,
                    inputs=above_max_norm,
                    hint="the norm is global: sqrt of the sum of squares over every tensor, and one scale for all",
                ),
                Check("brings the global norm down to max_norm", clipped_norm_is_max_norm, inputs=above_max_norm),
                Check(
                    "divides by total_norm + 1e-6 (tiny gradients)",
                    scale_uses_epsilon,
                    inputs=tiny_gradients,
                    hint="PyTorch's scale is max_norm / (total_norm + 1e-6), clamped to at most 1",
                ),
                Check("returns zeros and total_norm 0 for all-zero gradients", zeros_stay_zeros, inputs=zero_gradients, examples=5, hint="never divide by the norm itself: 0 / 0 is nan", hint_when=NON_FINITE),
            ),
            meta=False,  # a data-dependent `if total_norm > max_norm` is fine here
        ),
    ),
    forbidden=(
        "torch.nn.RNNCell", "torch.nn.GRUCell", "torch.nn.LSTMCell", "torch.nn.RNN", "torch.nn.GRU",
        "torch.nn.LSTM", "torch.nn.RNNCellBase", "torch.nn.RNNBase", "torch.rnn_tanh_cell", "torch.rnn_relu_cell",
        "torch.gru_cell", "torch.lstm_cell", "torch.rnn_tanh", "torch.rnn_relu", "torch.gru", "torch.lstm",
        "torch._VF", "torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_norm",
        "torch.nn.utils.clip_grads_with_norm_", "torch.nn.utils.get_total_norm", "torch.nn.utils.clip_grad",
    ),
)

test_public = public_tests(ASSIGNMENT)
