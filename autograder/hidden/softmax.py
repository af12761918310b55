"""Hidden tests for assignment 02 (softmax regression)."""

from hypothesis import strategies as st

from kit.calls import Call
from kit.checks import agrees_with_solution
from kit.spec import replace_inputs
from kit.strategies import class_targets, tensors
from solutions import softmax as solution


@st.composite
def tied_and_extreme_logits(draw, dtype):
    """Rows mixing +-1e30 (float32-finite), exact ties and -inf-free extremes."""
    values = st.sampled_from([0.0, 1.0, -1.0, 1e4, -1e4, 3e4, -3e4, 1e30, -1e30])
    X = draw(tensors((draw(st.integers(1, 4)), draw(st.integers(1, 6))), dtype, elements=values))
    return Call((X,), {"dim": draw(st.sampled_from([0, 1, -1]))})


@st.composite
def wide_batches(draw, dtype):
    n, c = draw(st.integers(1, 64)), draw(st.integers(2, 40))
    logits = draw(tensors((n, c), dtype, -30, 30))
    return Call((logits, draw(class_targets(n, c))), {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))})


@st.composite
def ties(draw, dtype):
    n, c = draw(st.integers(1, 10)), draw(st.integers(1, 4))
    logits = draw(tensors((n, c), dtype, elements=st.sampled_from([0.0, 1.0])))
    return Call((logits, draw(class_targets(n, c))))


HIDDEN = {
    "softmax": (replace_inputs(agrees_with_solution(solution.softmax), tied_and_extreme_logits, "extreme logits"),),
    "log_softmax": (replace_inputs(agrees_with_solution(solution.log_softmax), tied_and_extreme_logits, "extreme logits"),),
    "cross_entropy": (replace_inputs(agrees_with_solution(solution.cross_entropy), wide_batches, "wide batches"),),
    "accuracy": (replace_inputs(agrees_with_solution(solution.accuracy), ties, "tied scores"),),
}

