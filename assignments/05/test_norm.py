"""Public tests for assignment 05 (normalisation).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/05
"""

import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import Assignment, Check, Efficiency, Function, Tolerance
from kit.strategies import randn, seeded, shapes, tensors

# ---------------------------------------------------------------- inputs

MOMENTA = st.none() | st.sampled_from([0.1, 0.0, 1.0, 0.3, 0.9]) | st.floats(0.0, 1.0)
EPSILONS = st.none() | st.sampled_from([1e-3, 0.1])
MIN_STD = 0.5  # every normalised group has some spread, so float32 rounding stays small


def spread_enough(X: torch.Tensor, dims: tuple[int, ...]) -> bool:
    return bool((X.double().std(dim=dims, unbiased=False) >= MIN_STD).all())


@st.composite
def bn_calls(draw, dtype, modes=(True, False)):
    """batch_norm(X, gamma, beta, running_mean, running_var, training[, momentum][, eps]).

    X is (N, C), (N, C, L) or (N, C, H, W); in training every channel has at least 2 values.
    `extra["shift"]` holds a per-channel constant for the shift-invariance check.
    """
    training = draw(st.sampled_from(modes))
    spatial = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    n = draw(st.integers(2 if training and math.prod(spatial) == 1 else 1, 4))
    c = draw(st.integers(1, 4))
    X = draw(tensors((n, c, *spatial), dtype))
    if training:
        assume(spread_enough(X, (0, *range(2, X.ndim))))
    gamma, beta = draw(tensors((c,), dtype, -2, 2)), draw(tensors((c,), dtype, -2, 2))
    running_mean, running_var = draw(tensors((c,), dtype, -2, 2)), draw(tensors((c,), dtype, 0.125, 4))
    kwargs = {}
    if (momentum := draw(MOMENTA)) is not None:
        kwargs["momentum"] = momentum
    if (eps := draw(EPSILONS)) is not None:
        kwargs["eps"] = eps
    shift = draw(tensors((c,), dtype, -5, 5))
    return Call((X, gamma, beta, running_mean, running_var, training), kwargs, extra={"shift": shift})


def bn_training(dtype):
    return bn_calls(dtype, modes=(True,))


def bn_eval(dtype):
    return bn_calls(dtype, modes=(False,))


@st.composite
def ln_calls(draw, dtype):
    """layer_norm(X, normalized_shape[, weight][, bias][, eps]) over 1 to all of X's dims."""
    shape = draw(shapes(1, 4, 1, 4))
    k = draw(st.integers(1, len(shape)))
    normalized = tuple(shape[-k:])
    X = draw(tensors(shape, dtype))
    if math.prod(normalized) > 1:
        assume(spread_enough(X, tuple(range(-k, 0))))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["weight"] = draw(tensors(normalized, dtype, -2, 2))
    if draw(st.booleans()):
        kwargs["bias"] = draw(tensors(normalized, dtype, -2, 2))
    if (eps := draw(EPSILONS)) is not None:
        kwargs["eps"] = eps
    affine = {"weight": draw(tensors(normalized, dtype, -2, 2)), "bias": draw(tensors(normalized, dtype, -2, 2))}
    return Call((X, normalized if draw(st.booleans()) else list(normalized)), kwargs, extra=affine)


# ---------------------------------------------------------------- references


@contextmanager
def single_threaded():
    """PyTorch's CPU batch_norm kernel for float64 starts threads even for tiny inputs, which
    costs ~0.1 s a call on a busy machine; one thread is plenty for these sizes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def reference_batch_norm(X, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    """F.batch_norm in float64, on copies of the running statistics (it updates them in place)."""
    mean, var = running_mean.to(torch.float64, copy=True), running_var.to(torch.float64, copy=True)
    with single_threaded():
        Y = F.batch_norm(X.double(), mean, var, gamma.double(), beta.double(), training=training, momentum=momentum, eps=eps)
    return Y.to(X.dtype), mean.to(X.dtype), var.to(X.dtype)


def reference_layer_norm(X, normalized_shape, weight=None, bias=None, eps=1e-5):
    """F.layer_norm in float64."""
    weight = None if weight is None else weight.double()
    bias = None if bias is None else bias.double()
    with single_threaded():
        return F.layer_norm(X.double(), list(normalized_shape), weight, bias, eps).to(X.dtype)


# ---------------------------------------------------------------- properties


def assert_layout(out, shape, dtype, what: str) -> None:
    """Type, shape and dtype only (the values are judged by the check itself)."""
    if type(out) is not torch.Tensor:
        raise AssertionError(f"{what}: expected a tensor, got {type(out).__name__}")
    if out.shape != shape:
        raise AssertionError(f"{what}: expected shape {tuple(shape)}, got {tuple(out.shape)}")
    if out.dtype != dtype:
        raise AssertionError(f"{what}: expected dtype {dtype}, got {out.dtype}")


def triple(t: Trial, call: Call | None = None):
    """The (Y, new_running_mean, new_running_var) that batch_norm returns for `call`, checked for layout."""
    call = call or t.call
    out = t.run(call)
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise AssertionError("batch_norm must return a tuple (Y, new_running_mean, new_running_var)")
    X, running_mean = call.args[0], call.args[3]
    for value, like, what in zip(out, (X, running_mean, running_mean), ("Y", "new_running_mean", "new_running_var"), strict=True):
        assert_layout(value, like.shape, like.dtype, what)
    return out


def batch_statistics(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Per-channel mean and biased variance of X in float64, and the count m per channel."""
    dims = (0, *range(2, X.ndim))
    X = X.double()
    return X.mean(dim=dims), X.var(dim=dims, unbiased=False), X.numel() // X.shape[1]


def channel_view(v: torch.Tensor, ndim: int) -> torch.Tensor:
    return v.double().reshape(1, -1, *([1] * (ndim - 2)))


def hyper(t: Trial) -> tuple[float, float]:
    return t.call.kwargs.get("momentum", 0.1), t.call.kwargs.get("eps", 1e-5)


def normalises_with_batch_statistics(t: Trial) -> None:
    X, gamma, beta = t.call.args[:3]
    Y = triple(t)[0]
    mean, var, _ = batch_statistics(X)
    _, eps = hyper(t)
    d = X.ndim
    expected = channel_view(gamma, d) * (X.double() - channel_view(mean, d)) / torch.sqrt(channel_view(var, d) + eps) + channel_view(beta, d)
    t.assert_close(Y, expected.to(X.dtype), "Y in training (batch mean, biased batch variance, per channel)")


def updates_running_statistics(t: Trial) -> None:
    X, running_mean, running_var = t.call.args[0], t.call.args[3], t.call.args[4]
    _, new_mean, new_var = triple(t)
    mean, var, m = batch_statistics(X)
    momentum, _ = hyper(t)
    expected_mean = (1 - momentum) * running_mean.double() + momentum * mean
    expected_var = (1 - momentum) * running_var.double() + momentum * var * m / (m - 1)
    t.assert_close(new_mean, expected_mean.to(X.dtype), f"new_running_mean = (1 - {momentum:.3g}) * running_mean + {momentum:.3g} * batch mean")
    t.assert_close(new_var, expected_var.to(X.dtype), f"new_running_var = (1 - {momentum:.3g}) * running_var + {momentum:.3g} * unbiased batch variance")


def shift_invariant_per_channel(t: Trial) -> None:
    X, shift = t.call.args[0], t.call.extra["shift"]
    shifted = triple(t, t.call.replace(X + channel_view(shift, X.ndim).to(X.dtype), *t.call.args[1:]))[0]
    t.assert_close(shifted, triple(t)[0], "Y in training after adding a constant to each channel of X, compared with Y", scale=10)


def uses_running_statistics_in_eval(t: Trial) -> None:
    X, gamma, beta, running_mean, running_var = t.call.args[:5]
    Y, new_mean, new_var = triple(t)
    _, eps = hyper(t)
    d = X.ndim
    expected = channel_view(gamma, d) * (X.double() - channel_view(running_mean, d)) / torch.sqrt(channel_view(running_var, d) + eps) + channel_view(beta, d)
    t.assert_close(Y, expected.to(X.dtype), "Y in eval mode (normalised with running_mean and running_var)")
    t.assert_close(new_mean, running_mean, "new_running_mean in eval mode (must equal running_mean)", scale=0)
    t.assert_close(new_var, running_var, "new_running_var in eval mode (must equal running_var)", scale=0)


def eval_independent_of_batch(t: Trial) -> None:
    X = t.call.args[0]
    alone = triple(t, t.call.replace(X[:1].clone(), *t.call.args[1:]))[0] if X.shape[0] > 1 else None
    if alone is not None:
        t.assert_close(alone, triple(t)[0][:1], "Y in eval mode of the first sample on its own, compared with its row in the batch")


def slice_dims(t: Trial) -> tuple[int, ...]:
    return tuple(range(-len(t.call.args[1]), 0))


def standardises_each_slice(t: Trial) -> None:
    X = t.call.args[0]
    eps = t.call.kwargs.get("eps", 1e-5)
    Y = t.run(Call(t.call.args, {"eps": eps} if "eps" in t.call.kwargs else {}))
    assert_layout(Y, X.shape, X.dtype, "output")
    dims = slice_dims(t)
    mean = X.double().mean(dim=dims, keepdim=True)
    var = X.double().var(dim=dims, unbiased=False, keepdim=True)
    expected = (X.double() - mean) / torch.sqrt(var + eps)
    t.assert_close(Y, expected.to(X.dtype), f"output without weight and bias (standardised over the last {len(dims)} dim(s))")


def affine_after_normalising(t: Trial) -> None:
    eps = t.call.kwargs.get("eps", 1e-5)
    weight, bias = t.call.extra["weight"], t.call.extra["bias"]
    plain = t.run(Call(t.call.args, {"eps": eps}))
    affine = t.run(Call(t.call.args, {"weight": weight, "bias": bias, "eps": eps}))
    t.assert_close(affine, plain * weight + bias, "layer_norm(X, shape, weight, bias) compared with layer_norm(X, shape) * weight + bias", scale=10)


def independent_of_batch(t: Trial) -> None:
    X, normalized = t.call.args
    if X.ndim == len(normalized) or X.shape[0] == 1:
        return
    alone = t.run(t.call.replace(X[:1].clone(), normalized))
    t.assert_close(alone, t.output[:1], "the output for the first sample on its own, compared with its row in the batch")


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Many rows of a few values: the statistics of a vectorised version are a few reductions; a
# Python loop over the rows (batch elements) is a few torch calls per row, 50x or more slower.
# A loop over batch_norm's 4 channels is fine.
ROWS = 16384


@seeded
def large_bn(g, dtype):
    """batch_norm(X (16384, 4), gamma, beta, running_mean, running_var, training), training or not."""
    training = bool(torch.randint(2, (), generator=g))
    stats = (randn(g, 4, dtype=dtype), (torch.rand(4, generator=g, dtype=torch.float64) + 0.5).to(dtype))
    return Call((randn(g, ROWS, 4, dtype=dtype, scale=2.0), randn(g, 4, dtype=dtype), randn(g, 4, dtype=dtype), *stats, training))


@seeded
def large_ln(g, dtype):
    """layer_norm(X (16384, 4), (4,), weight, bias)."""
    return Call((randn(g, ROWS, 4, dtype=dtype, scale=2.0), (4,)), {"weight": randn(g, 4, dtype=dtype), "bias": randn(g, 4, dtype=dtype)})


# ---------------------------------------------------------------- the assignment

NORM_TOLERANCE = {torch.float32: Tolerance(1e-4, 1e-5), torch.float64: Tolerance(1e-7, 1e-9)}

ASSIGNMENT = Assignment(
    id="05",
    module="norm",
    title="normalisation",
    functions=(
        Function(
            "batch_norm",
            bn_calls,
            points=6,
            reference=reference_batch_norm,
            reference_name="F.batch_norm (in-place running-stat updates made on copies)",
            efficiency=Efficiency(large_bn, factor=20, why="var_mean, float64 inside: within 1.2x; a loop over the examples 520x and more"),
            checks=(
                Check(
                    "in training, normalises each channel with its batch mean and biased variance",
                    normalises_with_batch_statistics,
                    inputs=bn_training,
                    hint="average over every dim but dim 1 (dims (0, 2, 3) for images) and divide by m, not m - 1, for the variance",
                ),
                Check(
                    "in training, is unchanged when a constant is added to a channel",
                    shift_invariant_per_channel,
                    inputs=bn_training,
                    hint="each channel needs its own mean: reduce over every dim but dim 1, not over all of X",
                    gated=True,
                ),
                Check(
                    "in training, updates the running statistics with PyTorch's momentum and the unbiased variance",
                    updates_running_statistics,
                    inputs=bn_training,
                    hint="new = (1 - momentum) * running + momentum * batch (momentum=0 keeps, 1 replaces; the book's 0.9 is "
                    "the mirror image), and the running variance gets var * m / (m - 1)",
                ),
                Check(
                    "in eval mode, uses the running statistics and returns them unchanged",
                    uses_running_statistics_in_eval,
                    inputs=bn_eval,
                    hint="with training=False, normalise with running_mean and running_var, not with the batch",
                ),
                Check(
                    "in eval mode, normalises each sample independently of the batch",
                    eval_independent_of_batch,
                    inputs=bn_eval,
                    hint="with training=False the output of a sample must not depend on the rest of the batch",
                    gated=True,
                ),
            ),
            tolerance=NORM_TOLERANCE,
        ),
        Function(
            "layer_norm",
            ln_calls,
            points=4,
            reference=reference_layer_norm,
            reference_name="F.layer_norm",
            efficiency=Efficiency(large_ln, factor=20, why="var_mean over the flattened slice costs 4.2x, the slowest honest rewrite seen; a loop over the rows 930x and more"),
            checks=(
                Check(
                    "standardises each slice over the normalised dims with its mean and biased variance",
                    standardises_each_slice,
                    hint="reduce over the last len(normalized_shape) dims and use the biased variance (divide by the count)",
                ),
                Check(
                    "applies weight and bias elementwise after normalising",
                    affine_after_normalising,
                    hint="Y = (X - mean) / sqrt(var + eps) * weight + bias",
                ),
                Check(
                    "normalises each sample independently of the batch",
                    independent_of_batch,
                    hint="the statistics come from the normalised (trailing) dims only, never from dim 0",
                    gated=True,
                ),
            ),
            tolerance=NORM_TOLERANCE,
        ),
    ),
    forbidden=(
        "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm",
        "torch.nn.BatchNorm1d", "torch.nn.BatchNorm2d", "torch.nn.BatchNorm3d",
        "torch.nn.functional.layer_norm", "torch.layer_norm", "torch.native_layer_norm",
        "torch.nn.LayerNorm", "torch.nn.functional.instance_norm", "torch.nn.functional.group_norm",
        "torch.nn.functional.rms_norm",
    ),
)

test_public = public_tests(ASSIGNMENT)
