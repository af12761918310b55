"""Public tests for assignment 01 (linear regression, autograd, minibatch SGD).

Each graded function is described once below: how its inputs are drawn, what it must agree
with, and the properties it must have. The tests are generated from these records for every
dtype (and for CUDA when one is present). Run: pytest assignments/01
"""

import dataclasses
import math

import numpy as np
import torch
from hypothesis import strategies as st

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import floats, randn, seeded, shapes, tensors

SEEDS = st.integers(0, 2**31 - 1)

# ---------------------------------------------------------------- inputs


@st.composite
def polynomials(draw, dtype, max_degree=4):
    """poly_grad(coeffs (K,), x of 1 to 3 dims)."""
    coeffs = draw(tensors((draw(st.integers(1, max_degree + 1)),), dtype, -3, 3))
    return Call((coeffs, draw(tensors(shapes(1, 3, 1, 4), dtype, -2, 2))))


@st.composite
def lines(draw, dtype):
    """poly_grad of c0 + c1 x."""
    call = draw(polynomials(dtype, max_degree=1))
    return call if call.args[0].shape[0] == 2 else Call((torch.cat([call.args[0], torch.ones(1, dtype=dtype)]), call.args[1]))


@st.composite
def constants(draw, dtype):
    return Call((draw(tensors((1,), dtype, -3, 3)), draw(tensors(shapes(1, 3, 1, 4), dtype, -2, 2))))


@st.composite
def true_weights(draw, dtype, max_examples=20):
    """synthetic_data(w (d,), b, num_examples[, noise])."""
    w = draw(tensors((draw(st.integers(1, 4)),), dtype, -5, 5))
    b = draw(floats(torch.float64, -5, 5))
    n = draw(st.integers(1, max_examples))
    noise = draw(st.none() | st.sampled_from([0.0, 0.01, 0.1, 1.0]))
    return Call((w, b, n), {} if noise is None else {"noise": noise}, seed=draw(SEEDS))


@st.composite
def noiseless(draw, dtype):
    call = draw(true_weights(dtype))
    return Call(call.args, {"noise": 0.0}, seed=call.seed)


@st.composite
def many_examples(draw, dtype):
    """2000 examples: enough to measure the spread of X and of the noise."""
    w = draw(tensors((draw(st.integers(1, 3)),), dtype, -5, 5))
    noise = draw(st.sampled_from([0.01, 0.5, 2.0]) | st.floats(0.01, 2.0))
    return Call((w, draw(floats(torch.float64, -5, 5)), 2000), {"noise": noise}, seed=draw(SEEDS))


@st.composite
def labelled_examples(draw, dtype, min_examples=1, max_examples=40):
    """data_iter(batch_size, features (n, d), labels (n,) or (n, 1)).

    Column 0 of the features is the example's index (0 .. n-1), so every returned row can be
    traced back to its example; the labels are arbitrary.
    """
    n = draw(st.integers(min_examples, max_examples))
    d = draw(st.integers(1, 3))
    rest = draw(tensors((n, d - 1), dtype, -5, 5))
    features = torch.cat([torch.arange(n, dtype=dtype).reshape(n, 1), rest], dim=1)
    labels = draw(tensors((n, 1) if draw(st.booleans()) else (n,), dtype, -5, 5))
    batch_size = draw(st.integers(1, n + 3))
    return Call((batch_size, features, labels), seed=draw(SEEDS))


def long_epochs(dtype):
    """At least 20 examples, so that a shuffled order is never the identity by chance (p <= 1/20!)."""
    return labelled_examples(dtype, min_examples=20, max_examples=40)


@st.composite
def linear_models(draw, dtype):
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    return Call((draw(tensors((n, d), dtype, -5, 5)), draw(tensors((d, 1), dtype, -5, 5)), draw(tensors((1,), dtype, -5, 5))))


@st.composite
def predictions(draw, dtype, flat=None):
    """squared_loss(y_hat (n, 1), y (n,) or (n, 1))."""
    n = draw(st.integers(1, 6))
    flat = draw(st.booleans()) if flat is None else flat
    return Call((draw(tensors((n, 1), dtype, -10, 10)), draw(tensors((n,) if flat else (n, 1), dtype, -10, 10))))


@st.composite
def flat_targets(draw, dtype):
    n = draw(st.integers(2, 6))
    return Call((draw(tensors((n, 1), dtype, -10, 10)), draw(tensors((n,), dtype, -10, 10))))


@st.composite
def parameter_lists(draw, dtype, zero=False):
    """sgd_step(params, grads, lr, batch_size): 1 to 3 tensors of 0 to 2 dims, matching grads."""
    shape_list = draw(st.lists(shapes(0, 2, 1, 4), min_size=1, max_size=3))
    params = [draw(tensors(s, dtype, -5, 5)) for s in shape_list]
    grads = [torch.zeros(s, dtype=dtype) if zero else draw(tensors(s, dtype, -5, 5)) for s in shape_list]
    lr = draw(st.sampled_from([0.03, 0.1, 1.0]) | st.floats(0.0, 1.0))
    return Call((params, grads, lr, draw(st.integers(1, 16))))


def zero_gradients(dtype):
    return parameter_lists(dtype, zero=True)


def problem(rng, n: int, d: int, dtype, eps: torch.Tensor | None = None):
    """X (n, d) standard normal, w (d, 1) with 1 <= |w_j| <= 4, b with 1 <= |b| <= 4, y = X w + b + eps."""
    X = torch.from_numpy(rng.standard_normal((n, d))).to(dtype)
    w = torch.from_numpy(rng.uniform(1, 4, (d, 1)) * rng.choice([-1, 1], (d, 1))).to(dtype)
    b = float(rng.uniform(1, 4) * rng.choice([-1, 1]))
    eps = 0.01 * torch.from_numpy(rng.standard_normal((n, 1))).to(dtype) if eps is None else eps.to(dtype)
    return X, X @ w + b + eps, w, b


@st.composite
def regression_problems(draw, dtype, max_dim=3, flat=False):
    """train(X, y, lr, epochs, batch_size) on y = X w + b + 0.01 eps, with enough epochs to converge.

    epochs is chosen so that lr * (number of steps) >= 10: plain SGD then gets within
    about e^-10 of the least-squares weights. The true w and b travel in `extra`.
    """
    rng = np.random.default_rng(draw(SEEDS))
    n, d = draw(st.integers(100, 300)), draw(st.integers(1, max_dim))
    X, y, w, b = problem(rng, n, d, dtype)
    lr = draw(st.sampled_from([0.03, 0.05, 0.1]))
    batch_size = draw(st.sampled_from([5, 10, 20, 32]))
    epochs = math.ceil(10 / (lr * math.ceil(n / batch_size)))
    y = y.reshape(-1) if flat else y
    return Call((X, y), {"lr": lr, "epochs": epochs, "batch_size": batch_size}, seed=draw(SEEDS), extra={"w": w, "b": b})


@st.composite
def small_problems(draw, dtype):
    """train on a few examples for an epoch or two (for the generic checks: cheap)."""
    rng = np.random.default_rng(draw(SEEDS))
    X, y, _, _ = problem(rng, draw(st.integers(1, 30)), draw(st.integers(1, 3)), dtype)
    kwargs = {"lr": draw(st.sampled_from([0.03, 0.1])), "epochs": draw(st.integers(1, 2)), "batch_size": draw(st.integers(1, 10))}
    return Call((X, y.reshape(-1) if draw(st.booleans()) else y), kwargs, seed=draw(SEEDS))


@st.composite
def sorted_noise(draw, dtype):
    """A problem whose noise is -1 on the first half of the examples and +1 on the second.

    Without shuffling, SGD sees all the +1 examples last and ends far above the fit.
    """
    rng = np.random.default_rng(draw(SEEDS))
    n, d = draw(st.integers(300, 400)), draw(st.integers(1, 3))
    eps = torch.where(torch.arange(n) < n // 2, -1.0, 1.0).reshape(n, 1)
    X, y, _, _ = problem(rng, n, d, dtype, eps)
    return Call((X, y), {"lr": 0.05, "epochs": 3, "batch_size": draw(st.sampled_from([8, 10, 16]))}, seed=draw(SEEDS))


@st.composite
def no_learning(draw, dtype):
    """lr = 0 or epochs = 0: the result must be the initialisation."""
    call = draw(regression_problems(dtype))
    change = {"lr": 0.0} if draw(st.booleans()) else {"epochs": 0}
    return Call(call.args, {**call.kwargs, **change}, seed=call.seed, extra=call.extra)


# ---------------------------------------------------------------- helpers


def assert_layout(out, shape, dtype, what: str = "output") -> None:
    if type(out) is not torch.Tensor:
        raise AssertionError(f"{what}: expected a tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got {tuple(out.shape)}")
    if out.dtype != dtype:
        raise AssertionError(f"{what}: expected dtype {dtype}, got {out.dtype}")


def pair(out, what: str = "output") -> tuple:
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise AssertionError(f"{what}: expected a pair (tuple of two tensors), got {type(out).__name__}")
    return tuple(out)


# ---------------------------------------------------------------- poly_grad


def reference_poly_grad(coeffs, x):
    """sum_k k * c_k * x**(k-1), in float64, back in x's dtype."""
    x64, grad = x.double(), torch.zeros_like(x, dtype=torch.float64)
    for k in range(1, coeffs.shape[0]):
        grad = grad + k * coeffs[k].double() * x64 ** (k - 1)
    return grad.to(x.dtype)


def slope_of_a_line(t: Trial) -> None:
    coeffs, x = t.call.args
    t.assert_close(t.output, torch.full_like(x, coeffs[1].item()), f"derivative of {coeffs[0].item():.4g} + {coeffs[1].item():.4g} x")


def constant_has_zero_derivative(t: Trial) -> None:
    x = t.call.args[1]
    t.assert_close(t.output, torch.zeros_like(x), "derivative of a constant polynomial")


# ---------------------------------------------------------------- synthetic_data


def data_shapes(t: Trial) -> None:
    w, _, n = t.call.args
    X, y = pair(t.output, "synthetic_data's result")
    assert_layout(X, (n, w.shape[0]), w.dtype, "X")
    assert_layout(y, (n, 1), w.dtype, "y (a column, like linreg's output)")


def exactly_linear_without_noise(t: Trial) -> None:
    w, b, _ = t.call.args
    X, y = pair(t.output, "synthetic_data's result")
    assert_layout(y, (X.shape[0], 1), w.dtype, "y")
    t.assert_close(y, X @ w.reshape(-1, 1) + b, "y with noise=0 compared with X @ w + b", scale=10)


def spread_of_features_and_noise(t: Trial) -> None:
    w, b, n = t.call.args
    noise = t.call.kwargs["noise"]
    X, y = pair(t.output, "synthetic_data's result")
    X, y = X.double(), y.double()
    mean, std = X.mean(0), X.std(0)
    if (mean.abs() > 5 / math.sqrt(n)).any() or ((std - 1).abs() > 0.1).any():
        raise AssertionError(f"the columns of X have means {mean.tolist()} and standard deviations {std.tolist()}: X must be standard normal")
    residual = y.reshape(-1) - X @ w.double() - b
    spread = residual.std().item()
    if abs(spread - noise) > 0.1 * noise or abs(residual.mean().item()) > 5 * noise / math.sqrt(n):
        raise AssertionError(
            f"y - (X @ w + b) has mean {residual.mean().item():.4g} and standard deviation {spread:.4g} for noise={noise:.4g}: "
            "add noise * (standard normal), with mean 0"
        )


def same_seed_same_draw(t: Trial) -> None:
    """Two calls after torch.manual_seed(s): equal; after a different s: different."""
    first = t.output
    if first_difference_of(first, t.run(dataclasses.replace(t.call))):  # a second, fresh call with the same seed
        raise AssertionError("two calls after torch.manual_seed(s) with the same s gave different results: draw from torch's global generator")
    other = t.run(dataclasses.replace(t.call, seed=t.call.seed + 1))
    if not first_difference_of(first, other):
        raise AssertionError("torch.manual_seed(s) with a different s gave the same result: do not seed inside your function")


def first_difference_of(a, b) -> bool:
    """Whether two results (nested tuples and lists of tensors) differ anywhere."""
    if isinstance(a, torch.Tensor):
        return not (isinstance(b, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b))
    if isinstance(a, (tuple, list)):
        return not isinstance(b, (tuple, list)) or len(a) != len(b) or any(first_difference_of(x, y) for x, y in zip(a, b, strict=True))
    return a != b


# ---------------------------------------------------------------- data_iter


def batches_of(t: Trial) -> list[tuple[torch.Tensor, torch.Tensor]]:
    out = t.output
    if not isinstance(out, list):
        raise AssertionError(f"expected a list of (X_batch, y_batch) pairs, got {type(out).__name__}")
    return [pair(item, f"batch {i}") for i, item in enumerate(out)]


def batch_sizes(t: Trial) -> None:
    batch_size, features, labels = t.call.args
    n = features.shape[0]
    batches = batches_of(t)
    expected = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    for i, (Xb, yb) in enumerate(batches):
        assert_layout(Xb, (Xb.shape[0], features.shape[1]), features.dtype, f"X of batch {i}")
        assert_layout(yb, (Xb.shape[0], *labels.shape[1:]), labels.dtype, f"y of batch {i}")
    sizes = [Xb.shape[0] for Xb, _ in batches]
    if sizes != expected:
        raise AssertionError(f"batch sizes {sizes} for {n} examples and batch_size={batch_size}; expected {expected}")


def covers_every_example_once(t: Trial) -> None:
    _, features, labels = t.call.args
    n = features.shape[0]
    batches = batches_of(t)
    if not batches:
        raise AssertionError(f"no batches for {n} examples")
    ids = torch.cat([Xb[:, 0] for Xb, _ in batches]).round().long()
    counts = torch.bincount(ids.clamp(0, n), minlength=n + 1)[:n]
    if (counts != 1).any():
        missing, repeated = (counts == 0).sum().item(), (counts > 1).sum().item()
        raise AssertionError(f"{missing} example(s) missing and {repeated} repeated: each of the {n} examples must appear exactly once per epoch")
    rows = torch.cat([Xb for Xb, _ in batches])
    if not torch.equal(rows, features[ids]):
        raise AssertionError("the rows of X_batch are not rows of the features")
    ys = torch.cat([yb for _, yb in batches])
    if not torch.equal(ys, labels[ids]):
        raise AssertionError("some examples come with another example's label: index features and labels with the same indices")


def shuffles(t: Trial) -> None:
    n = t.call.args[1].shape[0]
    ids = torch.cat([Xb[:, 0] for Xb, _ in batches_of(t)]).round().long()
    if torch.equal(ids, torch.arange(n)):
        raise AssertionError(f"the {n} examples come out in their original order: shuffle them (torch.randperm)")


# ---------------------------------------------------------------- linreg, squared_loss, sgd_step


def reference_linreg(X, w, b):
    return torch.mm(X, w) + b


def identity_rows_pick_weights(t: Trial) -> None:
    X, w, b = t.call.args
    d = w.shape[0]
    out = t.run(t.call.replace(torch.eye(d, dtype=X.dtype), w, b))
    t.assert_close(out, w + b, "linreg(identity, w, b) compared with w + b")


def reference_squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def keeps_shape_for_flat_targets(t: Trial) -> None:
    y_hat = t.call.args[0]
    assert_layout(t.output, y_hat.shape, y_hat.dtype, f"loss for y_hat of shape {tuple(y_hat.shape)} and y of shape {tuple(t.call.args[1].shape)}")


def half_for_unit_error(t: Trial) -> None:
    y_hat = t.call.args[0]
    out = t.run(t.call.replace(y_hat, y_hat - 1))
    t.assert_close(out, torch.full_like(y_hat, 0.5), "loss when y_hat - y = 1 (must be 1/2)", scale=1e3)


def reference_sgd_step(params, grads, lr, batch_size):
    return [p - lr * g / batch_size for p, g in zip(params, grads, strict=True)]


def zero_gradient_keeps_params(t: Trial) -> None:
    t.assert_close(t.output, list(t.call.args[0]), "parameters after a step with zero gradients")


def depends_on_lr_over_batch_size(t: Trial) -> None:
    params, grads, lr, batch_size = t.call.args
    doubled = t.run(t.call.replace(params, grads, 2 * lr, 2 * batch_size))
    t.assert_close(doubled, t.output, "sgd_step with lr and batch_size both doubled compared with the original", scale=10)


def descends(t: Trial) -> None:
    """On f(p) = |p|^2 / 2 the gradient is p: a step with 0 < lr / batch_size < 1 shrinks every p."""
    params, _, lr, batch_size = t.call.args
    lr = max(lr, 0.1)
    out = t.run(t.call.replace(params, [p.clone() for p in params], lr, batch_size))
    factor = 1 - lr / batch_size
    t.assert_close(out, [p * factor for p in params], f"a step on |p|^2/2 (gradient p) with lr={lr:.3g}, batch_size={batch_size}, which must give p * (1 - lr/batch_size)", scale=10)


# ---------------------------------------------------------------- train


def trained(t: Trial, call: Call | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    X = t.call.args[0]
    w, b = pair(t.run(call) if call is not None else t.output, "train's result (w, b)")
    assert_layout(w, (X.shape[1], 1), X.dtype, "w")
    assert_layout(b, (1,), X.dtype, "b")
    return w, b


def recovers_true_weights(t: Trial) -> None:
    w, b = trained(t)
    true_w, true_b = t.call.extra["w"], t.call.extra["b"]
    error = max((w.double() - true_w.double()).abs().max().item(), abs(b.item() - true_b))
    if not error < 0.03:
        raise AssertionError(
            f"after {t.call.kwargs['epochs']} epochs (lr={t.call.kwargs['lr']}, batch_size={t.call.kwargs['batch_size']}) "
            f"w = {w.flatten().tolist()} and b = {b.tolist()}, but the data were made with w = {true_w.flatten().tolist()} "
            f"and b = {true_b:.4g} (largest error {error:.3g}, allowed 0.03)"
        )


def least_squares_fit(X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    design = torch.cat([X.double(), torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)
    return torch.linalg.lstsq(design, y.double().reshape(-1, 1)).solution.flatten()


def robust_to_sorted_data(t: Trial) -> None:
    X, y = t.call.args
    w, b = trained(t)
    fit = least_squares_fit(X, y)
    error = (torch.cat([w.flatten(), b]).double() - fit).abs().max().item()
    if not error < 0.2:
        raise AssertionError(
            f"on data sorted by their noise (-1 for the first half, +1 for the second) the result is {error:.3g} away from "
            "the least-squares fit (allowed 0.2): reshuffle the examples every epoch"
        )


def stays_at_initialisation(t: Trial) -> None:
    w, b = trained(t)
    if w.abs().max() > 0.06 or b.abs().max() > 0.06:
        raise AssertionError(
            f"with lr={t.call.kwargs['lr']} and epochs={t.call.kwargs['epochs']} nothing may be learnt, but w = {w.flatten().tolist()}, "
            f"b = {b.tolist()}: start from w ~ N(0, 0.01^2), b = 0 and step with the lr you are given"
        )


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Many examples of a few values each: a vectorised version costs little per example, a Python
# loop over the examples a few torch calls (microseconds each) per example, 50x or more in all.
EXAMPLES = 16384


@seeded
def large_polynomials(g, dtype):
    """poly_grad(coeffs (4,), x (2048,)): a loop over the elements of x runs autograd 2048 times."""
    return Call((randn(g, 4, dtype=dtype), randn(g, 2048, dtype=dtype)))


@seeded
def large_true_weights(g, dtype):
    """synthetic_data(w (4,), b, 16384): a loop over the examples draws 16384 rows one at a time."""
    return Call((randn(g, 4, dtype=dtype), 1.5, EXAMPLES), seed=int(torch.randint(2**31 - 1, (), generator=g)))


@seeded
def large_epoch(g, dtype):
    """data_iter(2048, features (16384, 2), labels (16384,)): 8 batches; a loop over the examples indexes 16384 times.

    Few, large batches: the vectorised cost is then mostly the copy of the data, which a loop
    pays too, so the loop's cost per example stands out (at 64 batches of 256 it was only 30x).
    """
    features, labels = randn(g, EXAMPLES, 2, dtype=dtype), randn(g, EXAMPLES, dtype=dtype)
    return Call((2048, features, labels), seed=int(torch.randint(2**31 - 1, (), generator=g)))


@seeded
def large_linear_models(g, dtype):
    """linreg(X (16384, 4), w (4, 1), b (1,))."""
    return Call((randn(g, EXAMPLES, 4, dtype=dtype), randn(g, 4, 1, dtype=dtype), randn(g, 1, dtype=dtype)))


@seeded
def large_predictions(g, dtype):
    """squared_loss(y_hat (16384, 1), y (16384,))."""
    return Call((randn(g, EXAMPLES, 1, dtype=dtype, scale=5.0), randn(g, EXAMPLES, dtype=dtype, scale=5.0)))


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="01",
    module="linreg",
    title="linear regression, autograd, minibatch SGD",
    functions=(
        Function(
            "poly_grad",
            polynomials,
            points=1,
            reference=reference_poly_grad,
            reference_name="the derivative sum_k k c_k x^(k-1)",
            efficiency=Efficiency(large_polynomials, factor=20, why="Horner's rule costs 1.3x; a loop over the elements of x runs autograd per element, 500x and more"),
            checks=(
                Check("is the slope c1 for a line c0 + c1 x", slope_of_a_line, inputs=lines, hint="coeffs[k] multiplies x**k: coeffs[0] is the constant term"),
                Check(
                    "is 0 (not None, no error) for a constant polynomial",
                    constant_has_zero_derivative,
                    inputs=constants,
                    hint="a constant does not involve x, so autograd has nothing to differentiate: keep x in the graph (x**0) or return zeros",
                ),
            ),
            tolerance={torch.float32: Tolerance(1e-4, 1e-4), torch.float64: Tolerance(1e-7, 1e-8)},
        ),
        Function(
            "synthetic_data",
            true_weights,
            points=2,
            efficiency=Efficiency(large_true_weights, factor=20, why="broadcast-and-sum costs 1.5x; drawing the examples one at a time 230x and more"),
            checks=(
                Check("returns X (n, d) and y (n, 1) in w's dtype", data_shapes, hint="y = X @ w.reshape(-1, 1) + b keeps y a column", gated=True),
                Check("gives y = X w + b exactly when noise=0", exactly_linear_without_noise, inputs=noiseless),
                Check(
                    "draws standard normal X and noise of standard deviation `noise`",
                    spread_of_features_and_noise,
                    inputs=many_examples,
                    examples=5,
                    hint="torch.randn (not torch.rand) for X, and noise * torch.randn(...) for the noise",
                ),
                Check(
                    "draws from torch's global generator",
                    same_seed_same_draw,
                    examples=5,
                    hint="use torch.randn(..., dtype=w.dtype, device=w.device); never call torch.manual_seed inside",
                    gated=True,
                ),
            ),
            deterministic=False,
        ),
        Function(
            "data_iter",
            labelled_examples,
            points=2,
            efficiency=Efficiency(large_epoch, factor=20, why="cutting batches by a loop over their starts costs 1.1x; indexing the examples one at a time 110x and more"),
            checks=(
                Check("makes batches of batch_size, the last one with the rest", batch_sizes, hint="for i in range(0, n, batch_size): take indices[i : i + batch_size]", gated=True),
                Check(
                    "covers every example exactly once, with its own label",
                    covers_every_example_once,
                    hint="index features and labels with the same slice of one permutation (torch.randperm(n)), not with torch.randint",
                ),
                Check("shuffles the examples", shuffles, inputs=long_epochs, hint="indices = torch.randperm(n, device=features.device)", gated=True),
                Check(
                    "draws its order from torch's global generator",
                    same_seed_same_draw,
                    inputs=long_epochs,
                    examples=5,
                    hint="torch.randperm, not Python's random.shuffle (torch.manual_seed does not seed it); never seed inside",
                    gated=True,
                ),
            ),
            deterministic=False,
        ),
        Function(
            "linreg",
            linear_models,
            points=1,
            reference=reference_linreg,
            reference_name="torch.mm(X, w) + b",
            efficiency=Efficiency(large_linear_models, factor=20, why="einsum costs 1.5x; a loop over the rows 900x and more"),
            checks=(Check("maps the identity to w + b", identity_rows_pick_weights, hint="X @ w + b, with w of shape (d, 1)"),),
            tolerance={torch.float32: Tolerance(1e-5, 1e-5)},
        ),
        Function(
            "squared_loss",
            predictions,
            points=1,
            reference=reference_squared_loss,
            reference_name="(y_hat - y.reshape(y_hat.shape))**2 / 2",
            efficiency=Efficiency(large_predictions, factor=20, why="float64 inside costs 1.2x; a loop over the rows 1600x and more"),
            checks=(
                Check(
                    "keeps y_hat's shape (n, 1) for y of shape (n,)",
                    keeps_shape_for_flat_targets,
                    inputs=flat_targets,
                    hint="(n, 1) - (n,) broadcasts to (n, n): reshape y to y_hat's shape first",
                    gated=True,
                ),
                Check("is 1/2 when y_hat - y = 1", half_for_unit_error, hint="the book's loss is (y_hat - y)**2 / 2, with the 1/2", gated=True),
            ),
        ),
        Function(
            "sgd_step",
            parameter_lists,
            points=2,
            reference=reference_sgd_step,
            reference_name="[p - lr * g / batch_size for p, g in zip(params, grads)]",
            checks=(
                Check("keeps the parameters when the gradients are zero", zero_gradient_keeps_params, inputs=zero_gradients, gated=True),
                Check(
                    "depends on lr / batch_size only",
                    depends_on_lr_over_batch_size,
                    hint="the gradients are of the summed batch loss: divide by batch_size",
                    gated=True,
                ),
                Check("steps against the gradient", descends, hint="p - lr * g / batch_size: minus, to go downhill"),
            ),
            tolerance={torch.float32: Tolerance(1e-5, 1e-5)},
        ),
        Function(
            "train",
            small_problems,
            points=3,
            checks=(
                Check(
                    "recovers the true w and b (within 0.03)",
                    recovers_true_weights,
                    inputs=regression_problems,
                    examples=5,
                    hint="sum the batch's squared losses, differentiate with torch.autograd.grad, then sgd_step with the batch size",
                ),
                Check(
                    "ends near the least-squares fit on data sorted by their noise",
                    robust_to_sorted_data,
                    inputs=sorted_noise,
                    examples=5,
                    hint="call data_iter every epoch: without shuffling, the last batches pull the fit their way",
                ),
                Check(
                    "learns nothing with lr=0 or epochs=0",
                    stays_at_initialisation,
                    inputs=no_learning,
                    examples=5,
                    hint="initialise w ~ N(0, 0.01^2) (torch.normal(0, 0.01, ...)) and b = 0, and use the lr argument",
                ),
            ),
            deterministic=False,
            meta=False,
        ),
    ),
    forbidden=("torch.nn", "torch.optim", "torch.utils.data", "torch.func"),
)

test_public = public_tests(ASSIGNMENT)
