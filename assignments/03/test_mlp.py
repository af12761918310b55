"""Public tests for assignment 03 (MLP, dropout, weight decay).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/03
"""

import dataclasses
import math

import numpy as np
import torch
from hypothesis import strategies as st
from torch import nn

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import randn, seeded, shapes, tensors

SEEDS = st.integers(0, 2**31 - 1)

# ---------------------------------------------------------------- inputs


@st.composite
def activations(draw, dtype):
    return Call((draw(tensors(shapes(1, 3, 1, 5), dtype)),))


@st.composite
def dropout_calls(draw, dtype):
    """dropout(X, p[, training]) on a small tensor; any p in [0, 1], training on or off."""
    X = draw(tensors(shapes(1, 3, 1, 5), dtype))
    p = draw(st.sampled_from([0.0, 0.5, 1.0, 0.1, 0.9]) | st.floats(0.0, 1.0))
    training = draw(st.none() | st.booleans())
    return Call((X, p), {} if training is None else {"training": training}, seed=draw(SEEDS))


@st.composite
def identity_cases(draw, dtype):
    """Calls that must return X unchanged: training=False (any p), or p=0."""
    X = draw(tensors(shapes(1, 3, 1, 5), dtype))
    if draw(st.booleans()):
        p = draw(st.sampled_from([0.5, 1.0, 0.1]) | st.floats(0.0, 1.0))
        return Call((X, p), {"training": False}, seed=draw(SEEDS))
    training = draw(st.none() | st.just(True))
    return Call((X, 0.0), {} if training is None else {"training": training}, seed=draw(SEEDS))


@st.composite
def drop_everything(draw, dtype):
    X = draw(tensors(shapes(1, 3, 1, 5), dtype))
    training = draw(st.none() | st.just(True))
    return Call((X, 1.0), {} if training is None else {"training": training}, seed=draw(SEEDS))


LARGE_SHAPES = [(4000,), (50, 80), (10, 20, 20)]


@st.composite
def many_nonzero(draw, dtype):
    """dropout in training on 4000 elements with |x| in [0.5, 2] (no zeros), 0.05 <= p <= 0.95.

    The tensor comes from numpy seeded with a drawn seed (drawing 4000 values one by one is slow); with no
    zeros in X, a zero in the output means the element was dropped.
    """
    rng = np.random.default_rng(draw(SEEDS))  # numpy's generator: independent of torch's mask draws
    shape = draw(st.sampled_from(LARGE_SHAPES))
    magnitude = torch.from_numpy(rng.uniform(0.5, 2.0, shape))
    sign = torch.from_numpy(rng.integers(0, 2, shape)) * 2 - 1
    p = draw(st.sampled_from([0.5, 0.1, 0.25, 0.8]) | st.floats(0.05, 0.95))
    return Call(((magnitude * sign).to(dtype), p), {"training": True}, seed=draw(SEEDS))


@st.composite
def param_lists(draw, dtype):
    """l2_penalty([w1, ..., wk]) for 1 to 4 tensors of 0 to 3 dims."""
    params = draw(st.lists(tensors(shapes(0, 3, 1, 4), dtype), min_size=1, max_size=4))
    split = draw(st.integers(1, max(1, len(params) - 1)))
    return Call((params,), extra={"split": split, "c": draw(st.sampled_from([2.0, -3.0, 0.5, 0.0]))})


@st.composite
def single_weights(draw, dtype):
    return Call(([draw(tensors((1,), dtype))],))


@st.composite
def mlp_params(draw, dtype, min_layers=1, max_layers=3, max_side=5):
    layers = draw(st.integers(min_layers, max_layers))
    dims = [draw(st.integers(1, max_side)) for _ in range(layers + 1)]
    X = draw(tensors((draw(st.integers(1, max_side)), dims[0]), dtype, -2, 2))
    params = [(draw(tensors((dims[i], dims[i + 1]), dtype, -1, 1)), draw(tensors((dims[i + 1],), dtype, -1, 1))) for i in range(layers)]
    return X, params


@st.composite
def mlp_calls(draw, dtype, max_layers=3, max_side=5):
    """mlp_forward with deterministic settings: eval mode (any dropout_p), or p in {0, 1}."""
    X, params = draw(mlp_params(dtype, max_layers=max_layers, max_side=max_side))
    mode = draw(st.sampled_from(["defaults", "eval", "train"]))
    if mode == "defaults":
        return Call((X, params), extra={"shift": draw(tensors((params[-1][1].shape[0],), dtype, -2, 2))})
    training = mode == "train"
    p = draw(st.sampled_from([0.0, 1.0])) if training else draw(st.sampled_from([0.0, 0.5]) | st.floats(0.0, 1.0))
    shift = draw(tensors((params[-1][1].shape[0],), dtype, -2, 2))
    return Call((X, params), {"dropout_p": p, "training": training}, seed=draw(SEEDS), extra={"shift": shift})


@st.composite
def eval_with_dropout(draw, dtype):
    X, params = draw(mlp_params(dtype))
    p = draw(st.sampled_from([0.5, 1.0, 0.2]) | st.floats(0.01, 1.0))
    return Call((X, params), {"dropout_p": p, "training": False}, seed=draw(SEEDS))


@st.composite
def identity_tail(draw, dtype):
    """A net whose layers after the first are identities (the last one with a bias c).

    Then logits - c = dropout(...dropout(relu(X W1 + b1))...), one dropout per hidden layer:
    every entry is 0 (dropped somewhere) or relu(X W1 + b1) / (1 - p)**(hidden layers).
    """
    hidden = draw(st.integers(1, 2))
    n, d_in, width = draw(st.integers(2, 6)), draw(st.integers(1, 4)), draw(st.integers(2, 6))
    X = draw(tensors((n, d_in), dtype, -2, 2))
    first = (draw(tensors((d_in, width), dtype, -1, 1)), draw(tensors((width,), dtype, -1, 1)))
    eye = torch.eye(width, dtype=dtype)
    middle = [(eye.clone(), torch.zeros(width, dtype=dtype)) for _ in range(hidden - 1)]
    last = (eye.clone(), draw(tensors((width,), dtype, -1, 1)))
    p = draw(st.sampled_from([0.5, 0.2, 0.8, 1.0]) | st.floats(0.1, 0.9))
    return Call((X, [first, *middle, last]), {"dropout_p": p, "training": True}, seed=draw(SEEDS))


# ---------------------------------------------------------------- properties


def assert_layout(out, shape, dtype, what: str = "output") -> None:
    """Type, shape and dtype only (the values are judged by the check itself)."""
    if type(out) is not torch.Tensor:
        raise AssertionError(f"{what}: expected a tensor, got {type(out).__name__}")
    if out.shape != shape:
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got {tuple(out.shape)}")
    if out.dtype != dtype:
        raise AssertionError(f"{what}: expected dtype {dtype}, got {out.dtype}")


def max_of_x_and_zero(t: Trial) -> None:
    X, out = t.call.args[0], t.output
    assert_layout(out, X.shape, X.dtype)
    negative, positive = X < 0, X > 0
    if (out[negative] != 0).any():
        raise AssertionError("negative inputs must give 0")
    t.assert_close(out[positive], X[positive], "outputs for positive inputs (they must pass unchanged)")


def zero_fraction_close_to_p(t: Trial) -> None:
    X, p = t.call.args
    out = t.output
    n = X.numel()
    dropped = (out == 0).double().mean().item()
    bound = 5 * math.sqrt(p * (1 - p) / n) + 1 / n
    if abs(dropped - p) > bound:
        raise AssertionError(
            f"zeroed {dropped:.1%} of {n} nonzero inputs with p={p:.3g}; expected {p:.1%} +- {bound:.1%} "
            "(each element must be dropped with probability p)"
        )


def survivors_scaled(t: Trial) -> None:
    X, p = t.call.args
    out = t.output
    assert_layout(out, X.shape, X.dtype)
    expected = torch.where(out == 0, torch.zeros_like(X), X / (1 - p))
    t.assert_close(out, expected, "surviving elements (each must be x / (1 - p); dropped ones 0)")


def expectation_preserved(t: Trial) -> None:
    """E[out] = X, tested on sum(out * sign(X)), whose mean is sum|X|: 5 standard deviations."""
    X, p = t.call.args
    out = t.output.double()
    X = X.double()
    statistic = (out * X.sign()).sum().item()
    mean = X.abs().sum().item()
    std = math.sqrt(p / (1 - p) * X.pow(2).sum().item())
    if abs(statistic - mean) > 5 * std + 1e-3 * mean:
        raise AssertionError(
            f"sum(dropout(X) * sign(X)) = {statistic:.1f}, but sum(|X|) = {mean:.1f} (+- {5 * std:.1f}) for p={p:.3g}: "
            "dropout must preserve the expectation, E[dropout(X)] = X"
        )


def returns_x(t: Trial) -> None:
    t.assert_close(t.output, t.call.args[0], "output (must equal X exactly)", scale=0)


def returns_zeros(t: Trial) -> None:
    X = t.call.args[0]
    t.assert_close(t.output, torch.zeros_like(X), "output for p=1 (must be all zeros)", scale=0)


def uses_global_generator(t: Trial) -> None:
    again = t.run()
    if not torch.equal(again, t.output):
        raise AssertionError("two calls after torch.manual_seed(s) with the same s gave different masks")
    other = t.run(dataclasses.replace(t.call, seed=t.call.seed + 1))
    if torch.equal(other, t.output):
        raise AssertionError("torch.manual_seed(s) with a different s gave the same mask: do not seed inside dropout")


def reference_l2(params):
    return sum(w.pow(2).sum() for w in params) / 2


def additive_over_list(t: Trial) -> None:
    params, split = t.call.args[0], t.call.extra["split"]
    total = sum(t.run(t.call.replace(part)) for part in (params[:split], params[split:]) if part)
    t.assert_close(t.output, total, "l2_penalty(a + b) compared with l2_penalty(a) + l2_penalty(b)", scale=10)


def quadratic_in_scale(t: Trial) -> None:
    params, c = t.call.args[0], t.call.extra["c"]
    scaled = t.run(t.call.replace([c * w for w in params]))
    t.assert_close(scaled, c * c * t.output, f"l2_penalty([{c:g} * w for w in params]) compared with {c * c:g} * l2_penalty(params)", scale=10)


def half_square_of_single_weight(t: Trial) -> None:
    w = t.call.args[0][0]
    t.assert_close(t.output, (w[0] * w[0]) / 2, "l2_penalty([tensor([w])]) (must be w**2 / 2, a 0-dim tensor)")


def reference_mlp(X, params, dropout_p=0.0, training=False):
    """nn.Sequential(Linear, ReLU, Dropout, ..., Linear) loaded with the same weights."""
    layers: list[nn.Module] = []
    for i, (W, b) in enumerate(params):
        linear = nn.Linear(W.shape[0], W.shape[1], dtype=W.dtype, device=W.device)
        with torch.no_grad():
            linear.weight.copy_(W.T)
            linear.bias.copy_(b)
        layers.append(linear)
        if i < len(params) - 1:
            layers += [nn.ReLU(), nn.Dropout(dropout_p)]
    with torch.no_grad():
        return nn.Sequential(*layers).train(training)(X)


def eval_ignores_dropout(t: Trial) -> None:
    without = t.run(t.call.replace(dropout_p=0.0))
    t.assert_close(t.output, without, f"output with training=False, dropout_p={t.call.kwargs['dropout_p']:.3g} compared with dropout_p=0")


def last_layer_affine(t: Trial) -> None:
    X, params = t.call.args
    shift = t.call.extra["shift"]
    W, b = params[-1]
    shifted = t.run(t.call.replace(X, [*params[:-1], (W, b + shift)]))
    t.assert_close(shifted - shift, t.output, "logits with the last bias raised by d, minus d, compared with the logits", scale=10)


def dropout_on_hidden_only(t: Trial) -> None:
    X, params = t.call.args
    p, hidden = t.call.kwargs["dropout_p"], len(params) - 1
    (W1, b1), c = params[0], params[-1][1]
    out = t.output
    assert_layout(out, (X.shape[0], c.shape[0]), X.dtype, "logits")
    h = torch.relu(X.double() @ W1.double() + b1.double())
    kept = h / (1 - p) ** hidden if p < 1 else torch.zeros_like(h)
    diff = out.double() - c.double()
    tol = t.function.tolerance_for(t.dtype)
    rtol, atol = 10 * tol.rtol, 10 * tol.atol
    ok = torch.isclose(diff, torch.zeros_like(diff), rtol, atol) | torch.isclose(diff, kept, rtol, atol)
    if not ok.all():
        i, j = (~ok).nonzero()[0].tolist()
        raise AssertionError(
            f"with the layers after the first set to identities, logits[{i}, {j}] - b_last = {diff[i, j].item():.6g}, "
            f"but it must be 0 (dropped) or relu(X @ W1 + b1)[{i}, {j}] / (1 - p)**{hidden} = {kept[i, j].item():.6g}: "
            "apply dropout once after each hidden ReLU, and neither to the input nor to the logits"
        )


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Many rows of a few values each: a vectorised version costs little per row, a Python loop over
# the rows (or the elements) a few torch calls (microseconds each) per row, 50x or more in all.
ROWS = 16384


@seeded
def large_activations(g, dtype):
    """relu(X (16384, 4))."""
    return Call((randn(g, ROWS, 4, dtype=dtype),))


@seeded
def large_dropout(g, dtype):
    """dropout(X (16384, 4), 0.5, training=True)."""
    return Call((randn(g, ROWS, 4, dtype=dtype), 0.5), {"training": True}, seed=int(torch.randint(2**31 - 1, (), generator=g)))


@seeded
def large_param_lists(g, dtype):
    """l2_penalty([(8192, 4), (4096, 4), (4096,)]): looping over the 3 tensors is fine, over their rows is not."""
    return Call(([randn(g, 8192, 4, dtype=dtype), randn(g, 4096, 4, dtype=dtype), randn(g, 4096, dtype=dtype)],))


@seeded
def large_mlp(g, dtype):
    """mlp_forward(X (4096, 4), 3 layers 4 -> 8 -> 8 -> 3), in evaluation mode: a loop over the rows runs 3 layers 4096 times."""
    dims = (4, 8, 8, 3)
    params = [(randn(g, dims[i], dims[i + 1], dtype=dtype, scale=0.5), randn(g, dims[i + 1], dtype=dtype, scale=0.5)) for i in range(3)]
    return Call((randn(g, 4096, 4, dtype=dtype), params), {"dropout_p": 0.5, "training": False})


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="03",
    module="mlp",
    title="MLP, dropout, weight decay",
    functions=(
        Function(
            "relu",
            activations,
            points=1,
            reference=torch.relu,
            reference_name="torch.relu",
            efficiency=Efficiency(large_activations, factor=20, why="torch.where costs 3x a clamp; a loop over the rows 300x and more"),
            checks=(
                Check(
                    "keeps positive inputs and zeroes negative ones",
                    max_of_x_and_zero,
                    hint="relu(x) = max(x, 0) elementwise: X.clamp(min=0) or torch.where(X > 0, X, 0)",
                ),
            ),
        ),
        Function(
            "dropout",
            dropout_calls,
            points=4,
            efficiency=Efficiency(large_dropout, factor=20, why="a torch.where mask costs 1.5x; drawing the mask row by row 360x and more"),
            checks=(
                Check(
                    "zeroes a fraction p of the elements",
                    zero_fraction_close_to_p,
                    inputs=many_nonzero,
                    hint="keep an element when torch.rand_like(X) >= p (uniform, not randn): it is dropped with probability p",
                ),
                Check(
                    "scales the survivors by 1/(1-p)",
                    survivors_scaled,
                    inputs=many_nonzero,
                    hint="inverted dropout: out = mask * X / (1 - p), in X's dtype",
                    gated=True,
                ),
                Check(
                    "preserves the expectation",
                    expectation_preserved,
                    inputs=many_nonzero,
                    hint="E[mask] = 1 - p, so dividing the kept values by 1 - p keeps E[out] = X",
                    gated=True,
                ),
                Check(
                    "returns X unchanged when training=False or p=0",
                    returns_x,
                    inputs=identity_cases,
                    hint="dropout is off at evaluation time: return X's values as they are (X.clone())",
                    gated=True,
                ),
                Check(
                    "returns zeros (not nan) when p=1",
                    returns_zeros,
                    inputs=drop_everything,
                    hint="with p = 1, X / (1 - p) divides by 0: return torch.zeros_like(X)",
                    hint_when=NON_FINITE,  # zeros expected, finite non-zeros got: not a division by 0
                    gated=True,
                ),
                Check(
                    "draws its mask from torch's global generator",
                    uses_global_generator,
                    inputs=many_nonzero,
                    examples=5,
                    hint="use torch.rand_like(X) (or torch.bernoulli) and never call torch.manual_seed inside dropout",
                    gated=True,
                ),
            ),
            deterministic=False,
        ),
        Function(
            "l2_penalty",
            param_lists,
            points=1,
            reference=reference_l2,
            reference_name="half the sum of squares, sum(w.pow(2).sum() for w in params) / 2",
            efficiency=Efficiency(large_param_lists, factor=20, why="a float64 loop over the 3 tensors costs 1.3x; a loop over their rows 420x and more"),
            checks=(
                Check("is w**2 / 2 for a single weight w", half_square_of_single_weight, inputs=single_weights, hint="square, sum, then halve"),
                Check("adds up over the list of tensors", additive_over_list, hint="sum the squares of every tensor in the list, not just the first", gated=True),
                Check("grows with the square of the weights", quadratic_in_scale, hint="the squared norm, not the norm: w.pow(2).sum(), no sqrt", gated=True),
            ),
        ),
        Function(
            "mlp_forward",
            mlp_calls,
            points=4,
            reference=reference_mlp,
            reference_name="nn.Sequential(Linear, ReLU, Dropout, ..., Linear) with the same weights",
            efficiency=Efficiency(large_mlp, factor=20, why="einsum, addmm, a torch.where relu: within 1.6x; a loop over the examples 320x and more"),
            checks=(
                Check(
                    "ignores dropout_p when training=False",
                    eval_ignores_dropout,
                    inputs=eval_with_dropout,
                    hint="pass `training` on to your dropout: at evaluation time nothing is dropped",
                    gated=True,
                ),
                Check(
                    "has no activation on the last layer",
                    last_layer_affine,
                    hint="the logits are H @ W_L + b_L, with no ReLU and no dropout after the last layer",
                ),
                Check(
                    "in training, drops each hidden ReLU output and nothing else",
                    dropout_on_hidden_only,
                    inputs=identity_tail,
                    hint="H = dropout(relu(H @ W + b), dropout_p, training) for every layer but the last",
                ),
            ),
            tolerance={torch.float32: Tolerance(1e-4, 1e-5)},
        ),
    ),
    forbidden=(
        "torch.relu", "torch.relu_", "torch.nn.functional.relu", "torch.nn.functional.relu_",
        "torch.nn.ReLU", "torch.Tensor.relu", "torch.Tensor.relu_", "torch.threshold",
        "torch.nn.functional.threshold", "torch.dropout", "torch.dropout_",
        "torch.nn.functional.dropout", "torch.nn.Dropout", "torch.nn.functional.linear",
        "torch.nn.Linear",
    ),
)

test_public = public_tests(ASSIGNMENT)
