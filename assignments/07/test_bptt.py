"""Public tests for assignment 07 (backpropagation through time).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/07

Both functions run under torch.inference_mode(), where autograd is switched off: the
gradients must come from the BPTT recurrences, written by hand.
"""

import torch
from hypothesis import strategies as st
from torch import nn

from kit.calls import Call
from kit.harness import StudentError, Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import randn, seeded, tensors

NAMES = ("X", "h0", "w_ih", "w_hh", "b_ih", "b_hh")

# ---------------------------------------------------------------- inputs


@st.composite
def rnn_arguments(draw, dtype, min_steps=1, max_steps=6, max_size=3):
    """(X (T, B, I), h0 (B, H), w_ih (H, I), w_hh (H, H), b_ih (H,), b_hh (H,)), weights in [-1, 1]."""
    steps = draw(st.integers(min_steps, max_steps))
    batch, n_in, n_hidden = (draw(st.integers(1, max_size)) for _ in range(3))
    return (
        draw(tensors((steps, batch, n_in), dtype, -2, 2)),
        draw(tensors((batch, n_hidden), dtype, -1, 1)),
        draw(tensors((n_hidden, n_in), dtype, -1, 1)),
        draw(tensors((n_hidden, n_hidden), dtype, -1, 1)),
        draw(tensors((n_hidden,), dtype, -1, 1)),
        draw(tensors((n_hidden,), dtype, -1, 1)),
    )


@st.composite
def forward_inputs(draw, dtype):
    return Call(draw(rnn_arguments(dtype)))


@st.composite
def prefix_inputs(draw, dtype):
    """A sequence of at least 2 steps and a step `cut` from which the inputs change."""
    args = draw(rnn_arguments(dtype, min_steps=2))
    return Call(args, extra={"cut": draw(st.integers(1, args[0].shape[0] - 1))})


@st.composite
def backward_inputs(draw, dtype, truncation="any", min_steps=1):
    """rnn_backward(X, h0, w_ih, w_hh, b_ih, b_hh, dH[, truncate=k]).

    truncation: "any" (None, left out, or 1..T+1), "none" (full BPTT) or "cut" (1 <= k < T).
    """
    args = draw(rnn_arguments(dtype, min_steps=2 if truncation == "cut" else min_steps))
    steps, batch = args[0].shape[:2]
    dH = draw(tensors((steps, batch, args[1].shape[1]), dtype, -1, 1))
    kwargs = {}
    if truncation == "cut":
        kwargs["truncate"] = draw(st.integers(1, steps - 1))
    elif truncation == "any":
        choice = draw(st.sampled_from(["omit", "none", "int"]))
        if choice != "omit":
            kwargs["truncate"] = None if choice == "none" else draw(st.integers(1, steps + 1))
    return Call((*args, dH), kwargs, extra={"cut": draw(st.integers(0, steps - 1))})


def full_bptt_inputs(dtype):
    return backward_inputs(dtype, truncation="none")


def truncated_inputs(dtype):
    return backward_inputs(dtype, truncation="cut")


# ---------------------------------------------------------------- references


def _rnn(w_ih, w_hh, b_ih, b_hh) -> nn.RNN:
    module = nn.RNN(w_ih.shape[1], w_ih.shape[0], nonlinearity="tanh", dtype=w_ih.dtype)
    with torch.no_grad():
        module.weight_ih_l0.copy_(w_ih)
        module.weight_hh_l0.copy_(w_hh)
        module.bias_ih_l0.copy_(b_ih)
        module.bias_hh_l0.copy_(b_hh)
    return module


def reference_forward(X, h0, w_ih, w_hh, b_ih, b_hh):
    with torch.no_grad():
        return _rnn(w_ih, w_hh, b_ih, b_hh)(X, h0.unsqueeze(0))[0]


def reference_backward(X, h0, w_ih, w_hh, b_ih, b_hh, dH, truncate=None):
    """Autograd through nn.RNN: one call per chunk, the final state detached between chunks."""
    module = _rnn(w_ih, w_hh, b_ih, b_hh)
    X, h0 = X.detach().clone().requires_grad_(), h0.detach().clone().requires_grad_()
    k = X.shape[0] if truncate is None else truncate
    with torch.enable_grad():
        h, outputs = h0.unsqueeze(0), []
        for start in range(0, X.shape[0], k):
            out, h = module(X[start : start + k], h)
            outputs.append(out)
            h = h.detach()
        (torch.cat(outputs) * dH).sum().backward()
    weights = (module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0)
    return dict(zip(NAMES, (X.grad, h0.grad, *(w.grad for w in weights)), strict=True))


def trusted_states(X, h0, w_ih, w_hh, b_ih, b_hh) -> torch.Tensor:
    """h_1..h_T computed here, in float64, from the cell equation."""
    h, states = h0.double(), []
    for x in X.double():
        h = torch.tanh(x @ w_ih.double().T + b_ih.double() + h @ w_hh.double().T + b_hh.double())
        states.append(h)
    return torch.stack(states)


# ---------------------------------------------------------------- properties: forward


def each_step_is_one_cell(t: Trial) -> None:
    X, h0, w_ih, w_hh, b_ih, b_hh = t.call.args
    H = t.output
    if not isinstance(H, torch.Tensor) or H.shape != (X.shape[0], *h0.shape):
        raise AssertionError(f"expected H of shape {(X.shape[0], *h0.shape)}, got {getattr(H, 'shape', type(H).__name__)}")
    previous = torch.cat([h0.unsqueeze(0), H[:-1]])
    expected = torch.tanh(X @ w_ih.T + b_ih + previous @ w_hh.T + b_hh)
    t.assert_close(H, expected, "H[t] compared with tanh(x_t W_ih^T + b_ih + H[t-1] W_hh^T + b_hh), H[-1] = h0", scale=10)


def ignores_the_future(t: Trial) -> None:
    X, cut = t.call.args[0], t.call.extra["cut"]
    changed = X.clone()
    changed[cut:] = changed[cut:] + 1
    later = t.run(t.call.replace(changed, *t.call.args[1:]))
    t.assert_close(later[:cut], t.output[:cut], f"H[:{cut}] after changing X[{cut}:]")


# ---------------------------------------------------------------- properties: backward


def without_autograd(t: Trial) -> None:
    try:
        t.run()
    except StudentError as error:
        if "grad" in str(error) or "inference" in str(error):
            raise AssertionError(
                "rnn_backward runs under torch.inference_mode(), where autograd is off; "
                f"compute the gradients with the BPTT recurrences ({error})"
            ) from None
        raise


def matches_finite_differences(t: Trial) -> None:
    """<grad, v> against (L(p + eps v) - L(p - eps v)) / (2 eps) for one random direction v per argument."""
    grads = t.output
    args, dH = t.call.args[:6], t.call.args[6].double()
    generator = torch.Generator().manual_seed(t.call.seed)
    eps = 1e-6
    for i, name in enumerate(NAMES):
        direction = torch.randn(args[i].shape, generator=generator, dtype=torch.float64)

        def loss(sign: int, i: int = i, direction: torch.Tensor = direction) -> torch.Tensor:
            moved = [a.double() for a in args]
            moved[i] = moved[i] + sign * eps * direction
            return (trusted_states(*moved) * dH).sum()

        numeric = (loss(1) - loss(-1)) / (2 * eps)
        if not isinstance(grads, dict) or name not in grads:
            raise AssertionError(f'expected a dict with the key "{name}"')
        analytic = (grads[name].double() * direction).sum()
        t.assert_close(analytic, numeric, f'the gradient "{name}" along a random direction compared with finite differences', scale=1e4)


def truncation_is_chunkwise_bptt(t: Trial) -> None:
    X, h0, w_ih, w_hh, b_ih, b_hh, dH = t.call.args
    k = t.call.kwargs["truncate"]
    states = trusted_states(X, h0, w_ih, w_hh, b_ih, b_hh).to(t.dtype)
    expected = {name: [] for name in NAMES}
    for start in range(0, X.shape[0], k):
        start_state = h0 if start == 0 else states[start - 1]
        part = t.run(Call((X[start : start + k], start_state, w_ih, w_hh, b_ih, b_hh, dH[start : start + k])))
        for name in NAMES:
            expected[name].append(part[name])
    combined = {
        "X": torch.cat(expected["X"]),
        "h0": expected["h0"][0],
        **{name: torch.stack(expected[name]).sum(0) for name in NAMES[2:]},
    }
    t.assert_close(t.output, combined, f"with truncate={k}, compared with full BPTT run chunk by chunk: gradient", scale=10)


def no_gradient_from_the_past(t: Trial) -> None:
    """dX[t] depends on dH[t:] only: with dH[cut:] = 0, dX[cut:] must be 0."""
    args, cut = t.call.args, t.call.extra["cut"]
    dH = args[6].clone()
    dH[cut:] = 0
    grads = t.run(t.call.replace(*args[:6], dH))
    dX = grads["X"][cut:]
    t.assert_close(dX, torch.zeros_like(dX), f'grads["X"][{cut}:] when dH[{cut}:] is zero')


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Few time steps, a large batch: the loop over the 4 time steps is the intended one; a Python
# loop over the batch runs every step once per sequence, 50x or more slower.


def large_rnn_arguments(g, dtype, batch):
    """(X (4, batch, 4), h0 (batch, 8), w_ih (8, 4), w_hh (8, 8), b_ih (8,), b_hh (8,))."""
    return (
        randn(g, 4, batch, 4, dtype=dtype), randn(g, batch, 8, dtype=dtype, scale=0.5), randn(g, 8, 4, dtype=dtype, scale=0.5),
        randn(g, 8, 8, dtype=dtype, scale=0.5), randn(g, 8, dtype=dtype, scale=0.5), randn(g, 8, dtype=dtype, scale=0.5),
    )


@seeded
def large_forward(g, dtype):
    """rnn_forward on 4 steps of a batch of 1024."""
    return Call(large_rnn_arguments(g, dtype, 1024))


@seeded
def large_backward(g, dtype):
    """rnn_backward on 4 steps of a batch of 1024, truncated to chunks of 2 or not."""
    args = large_rnn_arguments(g, dtype, 1024)
    truncate = (None, 2)[int(torch.randint(2, (), generator=g))]
    return Call((*args, randn(g, 4, 1024, 8, dtype=dtype)), {"truncate": truncate})


# ---------------------------------------------------------------- the assignment

TOLERANCE = {torch.float32: Tolerance(1e-5, 1e-5)}

ASSIGNMENT = Assignment(
    id="07",
    module="bptt",
    title="backpropagation through time",
    functions=(
        Function(
            "rnn_forward",
            forward_inputs,
            points=2,
            reference=reference_forward,
            reference_name="nn.RNN with the same weights",
            efficiency=Efficiency(large_forward, factor=20, why="the inputs projected at once: 1x; a loop over the batch inside the loop over time 200x and more"),
            tolerance=TOLERANCE,
            autograd=False,
            checks=(
                Check("each step is one tanh cell applied to the previous state", each_step_is_one_cell, hint="H[t] = tanh(X[t] @ w_ih.T + b_ih + H[t-1] @ w_hh.T + b_hh), starting from h0; h0 itself is not part of H"),
                Check("earlier states do not depend on later inputs", ignores_the_future, inputs=prefix_inputs, gated=True),
            ),
        ),
        Function(
            "rnn_backward",
            backward_inputs,
            points=6,
            reference=reference_backward,
            reference_name="autograd through nn.RNN (detached between chunks)",
            efficiency=Efficiency(large_backward, factor=20, why="einsum weight gradients, float64 inside: within 1.2x; a loop over the batch for the weight gradients 95x and more"),
            tolerance=TOLERANCE,
            autograd=False,
            checks=(
                Check("computes the gradients without autograd", without_autograd, examples=3, hint="no .backward(), torch.autograd or requires_grad: apply the BPTT recurrences by hand", gated=True),
                Check(
                    "full BPTT matches finite differences",
                    matches_finite_differences,
                    inputs=full_bptt_inputs,
                    dtypes=(torch.float64,),
                    examples=10,
                    hint="through the tanh: a_t = g_t * (1 - h_t^2); back in time: g_{t-1} = dH[t-1] + a_t @ w_hh",
                ),
                Check(
                    "truncate=k equals full BPTT on each chunk of k steps",
                    truncation_is_chunkwise_bptt,
                    inputs=truncated_inputs,
                    hint="at the first step of each chunk drop the gradient into the previous state; only the first chunk's reaches h0",
                ),
                Check("dH[t:] = 0 gives zero gradient for X[t:]", no_gradient_from_the_past, hint="gradient flows backwards in time only: dX[t] depends on dH[t], dH[t+1], ..."),
            ),
        ),
    ),
    forbidden=(
        "torch.autograd", "torch.Tensor.backward", "torch.Tensor.requires_grad_", "torch.Tensor.requires_grad",
        "torch.Tensor.grad", "torch.enable_grad", "torch.set_grad_enabled", "torch.inference_mode", "torch.func",
        "functorch", "torch.nn.RNN", "torch.nn.RNNCell", "torch.nn.RNNBase", "torch.rnn_tanh", "torch.rnn_tanh_cell",
        "torch._VF",
    ),
)

test_public = public_tests(ASSIGNMENT)
