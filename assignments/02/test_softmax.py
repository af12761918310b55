"""Public tests for assignment 02 (softmax regression).

Each graded function is described once below: how its inputs are drawn, which PyTorch
routine it must match, and the properties it must have. The tests are generated from these
records for every dtype (and for CUDA when one is present). Run: pytest assignments/02
"""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from kit.calls import Call
from kit.harness import Trial
from kit.pytest_plugin import public_tests
from kit.spec import NON_FINITE, Assignment, Check, Efficiency, Function
from kit.strategies import class_targets, dims_of, floats, randn, seeded, shapes, tensors

# ---------------------------------------------------------------- inputs


@st.composite
def logits_with_dim(draw, dtype, low=-10.0, high=10.0):
    """softmax(X, dim): X of 1 to 3 dims, any valid dim, sometimes left at its default."""
    X = draw(tensors(shapes(1, 3, 1, 5), dtype, low, high))
    dim = draw(st.none() | dims_of(X.ndim))
    return Call((X,), {} if dim is None else {"dim": dim})


def huge_logits_with_dim(dtype):
    return logits_with_dim(dtype, -1e4, 1e4)


@st.composite
def row_shifted(draw, dtype):
    """Logits plus a constant drawn per slice along `dim` (kept in `extra`)."""
    call = draw(logits_with_dim(dtype))
    X, dim = call.args[0], call.kwargs.get("dim", -1)
    shape = list(X.shape)
    shape[dim] = 1
    shift = draw(tensors(tuple(shape), dtype, -50, 50))
    return Call(call.args, call.kwargs, extra={"shift": shift})


@st.composite
def classification(draw, dtype, low=-10.0, high=10.0, reductions=("mean", "sum", "none")):
    """cross_entropy(logits (N, C), target (N,), reduction)."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    logits = draw(tensors((n, c), dtype, low, high))
    target = draw(class_targets(n, c))
    reduction = draw(st.sampled_from(reductions))
    return Call((logits, target), {"reduction": reduction})


def huge_classification(dtype):
    return classification(dtype, -1e4, 1e4)


def unreduced(dtype):
    return classification(dtype, reductions=("none",))


@st.composite
def predictions(draw, dtype):
    n, c = draw(st.integers(1, 8)), draw(st.integers(1, 5))
    return Call((draw(tensors((n, c), dtype, -5, 5, elements=floats(dtype, -5, 5))), draw(class_targets(n, c))))


# ---------------------------------------------------------------- large inputs (the efficiency check)

# Many short rows: a vectorised version costs little per row (a few values), a Python loop over
# the rows a few torch calls per row (microseconds each), so the two differ by 50x or more.
ROWS, CLASSES = 16384, 4


@seeded
def large_logits(g, dtype):
    """softmax(X (16384, 4), dim=1): 64K values, a fraction of a millisecond vectorised."""
    return Call((randn(g, ROWS, CLASSES, dtype=dtype, scale=3.0),), {"dim": 1})


@seeded
def large_classification(g, dtype):
    """cross_entropy(logits (16384, 4), target (16384,), reduction)."""
    reduction = ("mean", "sum", "none")[int(torch.randint(3, (), generator=g))]
    return Call((randn(g, ROWS, CLASSES, dtype=dtype, scale=3.0), torch.randint(CLASSES, (ROWS,), generator=g)), {"reduction": reduction})


@seeded
def large_predictions(g, dtype):
    """accuracy(logits (16384, 4), target (16384,))."""
    return Call((randn(g, ROWS, CLASSES, dtype=dtype), torch.randint(CLASSES, (ROWS,), generator=g)))


# ---------------------------------------------------------------- properties


def dim_of(t: Trial) -> int:
    return t.call.kwargs.get("dim", -1)


def sums_to_one(t: Trial) -> None:
    out = t.output
    if ((out < 0) | (out > 1)).any():
        raise AssertionError("softmax outputs must lie in [0, 1]")
    t.assert_close(out.sum(dim_of(t)), torch.ones_like(out.sum(dim_of(t))), "sum along dim")


def shift_invariant(t: Trial) -> None:
    X = t.call.args[0]
    shifted = t.run(t.call.replace(X + t.call.extra["shift"]))
    t.assert_close(shifted, t.output, "softmax(X + c) compared with softmax(X)", scale=100)


def finite_and_matches(reference):
    def verify(t: Trial) -> None:
        t.assert_close(t.output, t.expected(reference), "output for huge logits")

    return verify


def log_of_softmax_where_finite(t: Trial) -> None:
    expected = torch.log(torch.softmax(t.call.args[0], dim_of(t)))
    finite = torch.isfinite(expected)
    t.assert_close(t.output[finite], expected[finite], "log_softmax compared with log(softmax)", scale=10)


def exp_sums_to_one(t: Trial) -> None:
    total = t.output.exp().sum(dim_of(t))
    t.assert_close(total, torch.ones_like(total), "exp(log_softmax) summed along dim", scale=10)


def minus_log_p_of_target(t: Trial) -> None:
    logits, target = t.call.args
    out = t.output
    if (out < 0).any():
        raise AssertionError("cross-entropy must be >= 0")
    expected = -torch.log_softmax(logits, dim=1)[torch.arange(len(target)), target]
    t.assert_close(out, expected, "per-example loss compared with -log p[target]")


def reductions_consistent(t: Trial) -> None:
    per_example = t.run(t.call.replace(reduction="none"))
    t.assert_close(t.run(t.call.replace(reduction="sum")), per_example.sum(), "reduction='sum'", scale=10)
    t.assert_close(t.run(t.call.replace(reduction="mean")), per_example.mean(), "reduction='mean'", scale=10)


def default_reduction_is_mean(t: Trial) -> None:
    plain = Call(t.call.args)
    t.assert_close(t.run(plain), t.run(t.call.replace(reduction="mean")), "default reduction")


def perfect_when_target_is_argmax(t: Trial) -> None:
    logits = t.call.args[0]
    best = t.run(t.call.replace(logits, logits.argmax(dim=1)))
    if not 0.0 <= t.output <= 1.0 or best != 1.0:
        raise AssertionError(f"accuracy must lie in [0, 1] and be 1.0 when every target is the argmax (got {best!r})")


def reference_softmax(X, dim=-1):
    return torch.softmax(X, dim)


def reference_log_softmax(X, dim=-1):
    return torch.log_softmax(X, dim)


def reference_accuracy(logits, target):
    return (logits.argmax(dim=1) == target).double().mean().item()


# ---------------------------------------------------------------- the assignment

ASSIGNMENT = Assignment(
    id="02",
    module="softmax",
    title="softmax regression",
    functions=(
        Function(
            "softmax",
            logits_with_dim,
            points=3,
            reference=reference_softmax,
            reference_name="torch.softmax",
            efficiency=Efficiency(large_logits, factor=20, why="exp(log_softmax), times the reciprocal: within 1.5x; a loop over the 16384 rows 260x and more"),
            checks=(
                Check("outputs lie in [0, 1] and sum to 1 along dim", sums_to_one, hint="normalise by the sum along `dim`, keeping dims (keepdim=True)"),
                Check("is invariant to adding a constant along dim", shift_invariant, inputs=row_shifted, gated=True),
                Check(
                    "is finite for logits of +-1e4",
                    finite_and_matches(reference_softmax),
                    inputs=huge_logits_with_dim,
                    hint="exp(1e4) overflows: subtract the max along `dim` before exp",
                    hint_when=NON_FINITE,  # a finite output off by more than the tolerance has another cause
                ),
            ),
        ),
        Function(
            "log_softmax",
            logits_with_dim,
            points=3,
            reference=reference_log_softmax,
            reference_name="torch.log_softmax",
            efficiency=Efficiency(large_logits, factor=20, why="float64 inside, log-sum-exp by hand: within 1.5x; a loop over the rows 400x and more"),
            checks=(
                Check("equals log(softmax) where that is finite", log_of_softmax_where_finite),
                Check("exp of the output sums to 1 along dim", exp_sums_to_one),
                Check(
                    "is finite for logits of +-1e4",
                    finite_and_matches(reference_log_softmax),
                    inputs=huge_logits_with_dim,
                    hint="log(softmax(X)) underflows to log(0) = -inf: use X - max - log(sum(exp(X - max)))",
                    hint_when=NON_FINITE,
                ),
            ),
        ),
        Function(
            "cross_entropy",
            classification,
            points=3,
            reference=F.cross_entropy,
            reference_name="F.cross_entropy",
            efficiency=Efficiency(large_classification, factor=20, why="a torch.where one-hot costs 1.6x; a loop over the examples 240x and more"),
            checks=(
                Check("is -log p of the target and >= 0", minus_log_p_of_target, inputs=unreduced, hint="pick each row's target column: out[i] = -log_softmax(logits)[i, target[i]]"),
                Check("'sum' and 'mean' reduce the per-example losses", reductions_consistent, hint="'mean' divides by N, 'sum' does not"),
                Check("defaults to reduction='mean'", default_reduction_is_mean, gated=True),
                Check("is finite for logits of +-1e4", finite_and_matches(F.cross_entropy), inputs=huge_classification, hint="build it on a stable log_softmax", hint_when=NON_FINITE),
            ),
        ),
        Function(
            "accuracy",
            predictions,
            points=1,
            reference=reference_accuracy,
            reference_name="the fraction of rows whose argmax is the target",
            efficiency=Efficiency(large_predictions, factor=20, why="count, then divide: 1x; a loop over the examples 550x and more"),
            checks=(Check("lies in [0, 1] and is 1.0 when targets are the argmax", perfect_when_target_is_argmax),),
            meta=False,  # returns a Python float, which needs real data
        ),
    ),
    forbidden=(
        "torch.softmax", "torch.log_softmax", "torch.logsumexp", "torch.special.softmax",
        "torch.special.log_softmax", "torch.special.logsumexp", "torch.nn.functional.softmax",
        "torch.nn.functional.log_softmax", "torch.nn.functional.cross_entropy",
        "torch.nn.functional.nll_loss", "torch.nn.CrossEntropyLoss", "torch.nn.Softmax",
        "torch.nn.LogSoftmax", "torch.Tensor.softmax", "torch.Tensor.log_softmax",
        "torch.Tensor.logsumexp",
        # the same routines under other names: softmin(-X) is softmax, logcumsumexp(X)[..., -1] is logsumexp,
        # Categorical(logits=X).probs is softmax, sklearn has softmax and softmax regression itself
        "torch.nn.functional.softmin", "torch.nn.Softmin", "torch.logcumsumexp", "torch.Tensor.logcumsumexp",
        "torch.distributions", "sklearn",
    ),
)

test_public = public_tests(ASSIGNMENT)
